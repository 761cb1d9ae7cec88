/* Coding on the observation page: select a passage of #coding-text to fill the excerpt form.
 *
 * The form works without this script (start and end are typed as character offsets). Here a text
 * selection inside #coding-text becomes those offsets: #coding-text renders the observation's
 * plain text exactly (highlights are <mark> elements around runs of it, nothing else), so the
 * offset of a point is the total length of the text nodes before it. Vanilla JS, no build step.
 *
 * The DOM measures text in UTF-16 units, the server (Python) in characters (code points): an emoji
 * is two units here and one character there. Offsets are converted at the form's edge, both ways.
 */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fn);
    else fn();
  }

  /* Character offset of the boundary point (node, offset) from the start of `root`'s text. */
  function offsetIn(root, node, offset) {
    if (node.nodeType === Node.TEXT_NODE) {
      var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      var total = 0;
      var current = walker.nextNode();
      while (current) {
        if (current === node) return total + offset;
        total += current.data.length;
        current = walker.nextNode();
      }
      return total;
    }
    // An element boundary (e.g. between two <mark>s): measure the text before it.
    var before = document.createRange();
    before.setStart(root, 0);
    before.setEnd(node, offset);
    return before.toString().length;
  }

  /* Characters (code points) in the first `units` UTF-16 units of `text`: the server's offset. */
  function toCharacters(text, units) {
    return Array.from(text.slice(0, units)).length;
  }

  /* UTF-16 units taken by the first `characters` characters of `text`: the DOM's offset. */
  function toUnits(text, characters) {
    var units = 0;
    for (var n = 0; n < characters && units < text.length; n++) {
      units += text.codePointAt(units) > 0xffff ? 2 : 1;
    }
    return units;
  }

  /* [start, end] of the current selection inside `root` (clipped to it, blanks trimmed), or null. */
  function selectedOffsets(root) {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    if (!range.intersectsNode(root)) return null;
    var whole = document.createRange();
    whole.selectNodeContents(root);
    var clipped = whole.cloneRange();
    if (range.compareBoundaryPoints(Range.START_TO_START, whole) > 0) {
      clipped.setStart(range.startContainer, range.startOffset);
    }
    if (range.compareBoundaryPoints(Range.END_TO_END, whole) < 0) {
      clipped.setEnd(range.endContainer, range.endOffset);
    }
    var text = root.textContent;
    var start = offsetIn(root, clipped.startContainer, clipped.startOffset);
    var end = offsetIn(root, clipped.endContainer, clipped.endOffset);
    while (start < end && /\s/.test(text.charAt(start))) start++;
    while (end > start && /\s/.test(text.charAt(end - 1))) end--;
    if (end <= start) return null;
    return [start, end];
  }

  function setUpCoding(root, form) {
    var startInput = form.querySelector("input[name=start]");
    var endInput = form.querySelector("input[name=end]");
    var textInput = form.querySelector("input[name=selected_text]");
    var preview = document.getElementById("selection-preview");
    var empty = document.getElementById("selection-empty");
    var previewText = preview && preview.querySelector("[data-selected-text]");
    var text = root.textContent;
    form.classList.add("js-coding");
    // Offsets are filled from the selection: fold them away unless they carry an error.
    var offsets = document.getElementById("offsets");
    if (offsets && !offsets.hasAttribute("data-keep-open")) offsets.open = false;
    if (empty && !startInput.value) empty.hidden = false;

    var characters = Array.from(text).length;

    /* The passage chosen, in the check field and the preview. */
    function display(passage) {
      if (textInput) textInput.value = passage;
      if (previewText) previewText.textContent = passage.length > 280 ? passage.slice(0, 140) + " … " + passage.slice(-120) : passage;
      if (preview) preview.hidden = false;
      if (empty) empty.hidden = true;
    }

    /* Show the passage between two DOM offsets (UTF-16 units); the form gets characters. */
    function show(start, end) {
      startInput.value = String(toCharacters(text, start));
      endInput.value = String(toCharacters(text, end));
      display(text.slice(start, end));
    }

    function capture(focusPicker) {
      var offsets = selectedOffsets(root);
      if (!offsets) return;
      show(offsets[0], offsets[1]);
      if (focusPicker) {
        var first = form.querySelector("#code-picker input[type=checkbox]:checked") ||
          form.querySelector("#code-picker input[type=checkbox]");
        if (first) first.focus({ preventScroll: window.matchMedia("(min-width: 861px)").matches });
      }
    }

    var pending = null;
    document.addEventListener("selectionchange", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () { capture(false); }, 120);
    });
    root.addEventListener("mouseup", function () { window.setTimeout(function () { capture(true); }, 0); });
    root.addEventListener("touchend", function () { window.setTimeout(function () { capture(false); }, 0); });

    // Typed offsets (no selection): keep the preview and the check text in step.
    function typed() {
      var start = parseInt(startInput.value, 10);
      var end = parseInt(endInput.value, 10);
      if (isNaN(start) || isNaN(end) || start < 0 || end > characters || end <= start) {
        if (textInput) textInput.value = "";
        if (preview) preview.hidden = true;
        return;
      }
      display(text.slice(toUnits(text, start), toUnits(text, end)));
    }
    startInput.addEventListener("input", typed);
    endInput.addEventListener("input", typed);
    if (startInput.value && endInput.value) typed();
  }

  /* Hovering or focusing an excerpt in the list lights up its passage in the note, and the other way. */
  function setUpLinks(root) {
    function marksOf(id) {
      return root.querySelectorAll("mark[data-excerpts~='" + id + "']");
    }
    function light(id, on) {
      marksOf(id).forEach(function (mark) { mark.classList.toggle("active", on); });
      var item = document.getElementById("excerpt-item-" + id);
      if (item) item.classList.toggle("active", on);
    }
    document.querySelectorAll(".excerpt-item[data-excerpt]").forEach(function (item) {
      var id = item.getAttribute("data-excerpt");
      ["mouseenter", "focusin"].forEach(function (type) { item.addEventListener(type, function () { light(id, true); }); });
      ["mouseleave", "focusout"].forEach(function (type) { item.addEventListener(type, function () { light(id, false); }); });
    });
    root.querySelectorAll("mark[data-excerpts]").forEach(function (mark) {
      var ids = mark.getAttribute("data-excerpts").split(" ");
      mark.addEventListener("mouseenter", function () { ids.forEach(function (id) { light(id, true); }); });
      mark.addEventListener("mouseleave", function () { ids.forEach(function (id) { light(id, false); }); });
    });
    // After coding, the page opens at #excerpt-<id>: flash every run of that excerpt.
    var match = /^#excerpt-(\d+)$/.exec(window.location.hash);
    if (match) {
      marksOf(match[1]).forEach(function (mark) { mark.classList.add("just-coded"); });
      var item = document.getElementById("excerpt-item-" + match[1]);
      if (item) item.classList.add("just-coded");
    }
  }

  ready(function () {
    var root = document.getElementById("coding-text");
    if (!root) return;
    var form = document.getElementById("excerpt-form");
    if (form) setUpCoding(root, form);
    setUpLinks(root);
  });
})();

"""REFI-QDA exchange: a study's codebook (`.qdc`) and project (`.qdpx`) out and back in.

One small module per concern, so each rule has one home:

- `errors`: `ExchangeError` (a refusal with the element's GUID and line) and the import `Report`;
- `archive`: opening an uploaded `.qdpx` safely (limits from settings, entry names, links);
- `xml`: parsing XML with entity expansion and network access off, namespaces of real tools;
- `offsets`: which unit a file's selections count in, and converting them to ours;
- `writing`: the `.qdc` and the streamed `.qdpx` of a study (consented material, pseudonyms);
- `reading`: the parsed file as plain data;
- `importing`: applying it to a study in one transaction (or a dry run), with its report.

The standard, its schemas and how real files differ are in ``../shared/refi-qda/`` (NOTES.md).
"""

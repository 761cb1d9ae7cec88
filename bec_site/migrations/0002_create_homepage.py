from django.db import migrations


def create_homepage(apps, schema_editor):
    """Replace Wagtail's welcome page with the BEC home page and point the default site at it."""
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("bec_site.HomePage")

    Page.objects.filter(depth=2, content_type__app_label="wagtailcore", content_type__model="page").delete()
    content_type, _created = ContentType.objects.get_or_create(model="homepage", app_label="bec_site")
    root = Page.objects.get(depth=1)
    homepage = HomePage.objects.create(
        title="Bureaux d'Études en Communs",
        draft_title="Bureaux d'Études en Communs",
        slug="accueil",
        content_type=content_type,
        path=f"{root.path}0001",
        depth=2,
        numchild=0,
        url_path="/accueil/",
        locale_id=root.locale_id,
        intro=(
            "Des chercheur·es, des structures de l'économie sociale et solidaire, des artistes, "
            "des makers et des bénévoles étudient ensemble une question, décident ensemble et "
            "publient ce qu'ils trouvent."
        ),
    )
    root.numchild = 1
    root.save(update_fields=["numchild"])
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page_id": homepage.pk, "site_name": "wagtail-bec"},
    )


def remove_homepage(apps, schema_editor):
    apps.get_model("bec_site.HomePage").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("bec_site", "0001_initial"),
        ("wagtailcore", "0001_initial"),
        ("wagtailcore", "0002_initial_data"),
    ]

    operations = [migrations.RunPython(create_homepage, remove_homepage)]

"""Reports and articles are listed newest first: an index in that order lets the database read the first page of a
listing without sorting every one of them."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0002_editorial_groups"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="articlepage",
            index=models.Index(fields=["publication_date", "page_ptr"], name="article_publication_date"),
        ),
        migrations.AddIndex(
            model_name="reportsummarypage",
            index=models.Index(fields=["publication_date", "page_ptr"], name="report_publication_date"),
        ),
    ]

"""The model whose changes reach subscribers."""

# --8<-- [start:model]
from django.db import models


class Article(models.Model):
    title = models.CharField(max_length=200)
    desk = models.CharField(max_length=50, default="news")

    def __str__(self) -> str:
        return self.title


# --8<-- [end:model]

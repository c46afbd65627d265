"""The model whose changes reach subscribers."""

from django.db import models


class Article(models.Model):
    title = models.CharField(max_length=200)
    desk = models.CharField(max_length=50, default="news")

    def __str__(self) -> str:
        return self.title

import pytest
from django.test import Client


@pytest.mark.django_db
def test_home_page_renders():
    response = Client().get("/")
    assert response.status_code == 200
    assert b"mqlab" in response.content

import pytest


@pytest.mark.parametrize(("lang", "direction"), [("en", "ltr"), ("ar", "rtl"), ("fa", "rtl")])
def test_observation_list_serves_every_language(client, seeded, lang, direction):
    response = client.get(f"/{lang}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert "تعداد موسسات کوچک ومتوسط ژاپن" in html  # a quote, verbatim


def test_draft_figures_are_not_public(client, seeded):
    from indicators.models import Observation

    Observation.objects.filter(area__code="SYR").update(status=Observation.Status.DRAFT)
    html = client.get("/en/").content.decode()
    assert "أكثر من 98 %" not in html

"""The deterministic review rules: obscenity in disguise, insults, ads and contacts, personal data, sentiment."""

from __future__ import annotations

import pytest

from bot.reviews.moderation import ASPECTS, analyse_review, mask_personal_data, obscene_words, stated_rating
from bot.reviews.sentiment import LITTLE_DATA, aspects_of, sentiment_of

OBSCENE = [
    "Да пошли вы на х*й с таким сервисом",
    "Официант х у й знает что принёс",
    "х.у.й а не кофе",
    "Полный пиздец, а не ресторан",
    "П*здец какой-то",
    "пи3дец полный",
    "пиzдец полный",
    "бл@дь, опять холодное",
    "Бляяять, ну сколько можно ждать",
    "ё6аный сервис",
    "Заебали со своей музыкой",
    "Охуенно вкусно!",
    "нахуя так солить",
    "xyйня, а не суп",
    "Повар долбоёб",
    "с у к а, опять пересолили",
    "Какой-то мудак за соседним столом орал",
    "е**ть тут дорого",
    "Пи\u200bздец",
]
CLEAN = [
    "Оскорблять персонал нельзя, но нас тут оскорбили холодным супом",
    "Застрахуй машину, прежде чем парковаться тут",
    "Хлебать такой суп можно только от голода",
    "Голубое небо и вид на корабли",
    "Мудрый шеф, сукно на столах, мандарины на десерт",
    "Херсонские арбузы в меню",
    "Рубля не стоит, корабля не видно",
    "Потребляет много времени ожидание",
    "Употребляли только чай",
    "Хулиганы шумели, но охрана их вывела",
    "Наша команда отметила день рождения",
    "Заказали страхование? Нет, просто ужин",
]


@pytest.mark.parametrize("text", OBSCENE)
def test_obscenity_in_disguise_is_found_and_rejected(text: str) -> None:
    assert obscene_words(text), text
    result = analyse_review(text)
    assert result.verdict == "reject"
    assert "profanity" in result.reasons
    assert result.never_approve


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_words_that_contain_a_root_are_not_obscene(text: str) -> None:
    assert obscene_words(text) == [], text
    assert "profanity" not in analyse_review(text).reasons


@pytest.mark.parametrize(
    "text",
    [
        "Администратор — идиот и хам",
        "Официантка просто тупорылая дура",
        "Такие ублюдки работают на кухне",
        "Я вас найду и убью, если суп опять будет холодным",
        "Сдохните со своим рестораном",
    ],
)
def test_insults_and_threats_reject(text: str) -> None:
    result = analyse_review(text)
    assert result.verdict == "reject"
    assert result.reasons == ["insult_threat"]


def test_hate_and_illegal_reject() -> None:
    assert "hate" in analyse_review("Понаехавшие чурки на кухне работают").reasons
    assert "illegal" in analyse_review("Возле кафе продают закладки, пишите").reasons


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("Отличная кальянная, звоните +7 (912) 345-67-89, столик всегда найдём", ["spam_ads", "personal_data"]),
        ("Мастер маникюра рядом, 8 912 345 67 89", ["personal_data"]),
        ("Пишите на ivan.petrov@mail.ru, расскажу где дешевле", ["spam_ads", "personal_data"]),
        ("Доставка лучше у нас: www.best-food.ru", ["spam_ads"]),
        ("Скидка по коду LETO2024 на второй визит!", ["spam_ads"]),
        ("Введите промокод VKUSNO и получите десерт", ["spam_ads"]),
        ("Пиши в лс @cheap_tours, продам туры", ["spam_ads"]),
    ],
)
def test_ads_contacts_and_promo_codes_reject_with_the_right_reasons(text: str, reasons: list[str]) -> None:
    result = analyse_review(text)
    assert result.verdict == "reject"
    assert result.reasons == reasons


def test_personal_data_is_masked_in_the_publishable_text() -> None:
    text = "Нас обслуживал Иванов Иван Иванович, звонил с 89123456789, писал на guest@yandex.ru."
    masked = mask_personal_data(text)
    assert "Иванов" not in masked and "89123456789" not in masked and "guest@yandex.ru" not in masked
    assert "[имя скрыто]" in masked and "[телефон скрыт]" in masked and "[e-mail скрыт]" in masked
    result = analyse_review("Администратор Петрова Анна Сергеевна помогла с бронью, спасибо!")
    assert result.reasons == ["personal_data"]
    assert result.verdict == "needs_review"
    assert "Петрова" not in result.masked_text and "помогла с бронью" in result.masked_text


def test_museum_names_and_plain_first_names_are_not_personal_data() -> None:
    assert analyse_review("Пушкинский музей и Русский музей — лучшие в стране").reasons == []
    assert analyse_review("Официант Мария была очень внимательна").reasons == []


@pytest.mark.parametrize(
    ("text", "rating"),
    [("Ставлю 5 звёзд", 5), ("Оценка: 1/5", 1), ("2 из 5, не больше", 2), ("★★★★", 4), ("ставлю двойку", 2)],
)
def test_stated_rating(text: str, rating: int) -> None:
    assert stated_rating(text) == rating


def test_a_rating_contradicting_the_text_needs_review() -> None:
    result = analyse_review("Ужасно, грязно, официант хамил, еда невкусная. 5 звёзд")
    assert result.reasons == ["rating_mismatch"]
    assert result.verdict == "needs_review"
    assert analyse_review("Всё отлично и вкусно, 5 звёзд").reasons == []
    assert "rating_mismatch" in analyse_review("Прекрасно, уютно, вкусно, рекомендую! Оценка 1/5").reasons


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("Очень уютно, персонал вежливый, кофе отличный!", "positive"),
        ("Ужасный сервис, грязно и невкусно", "negative"),
        ("Еда вкусная, но обслуживание медленное", "mixed"),
        ("Были в среду вечером", "neutral"),
        ("Не вкусно и не уютно", "negative"),
        ("Совсем не плохо", "positive"),
    ],
)
def test_sentiment_lexicon(text: str, sentiment: str) -> None:
    found, score, rating = sentiment_of(text)
    assert found == sentiment
    assert -1 <= score <= 1 and 1 <= rating <= 5


def test_aspects_have_polarity_and_verbatim_evidence() -> None:
    text = "Номер чистый, кровать удобная, но завтрак скучный. Персонал на ресепшн грубил."
    aspects = aspects_of(text)
    assert set(aspects) <= set(ASPECTS)
    assert aspects["rooms"].polarity == "positive"
    assert aspects["food"].polarity == "negative"
    assert aspects["staff"].polarity == "negative"
    for hit in aspects.values():
        assert hit.evidence in text and len(hit.evidence) <= 120


def test_very_short_text_says_little_data_and_is_approved() -> None:
    result = analyse_review("Норм")
    assert result.summary == LITTLE_DATA
    assert result.verdict == "approve"
    assert len(analyse_review("Очень уютное кафе, всё понравилось, приду ещё").summary) <= 250


def test_the_authors_rating_decides_and_the_text_sentiment_stays_beside_it() -> None:
    text = "Ужасно: грязно, официант хамил, суп холодный."
    alone = analyse_review(text)
    rated = analyse_review(text, stated=5)
    assert alone.sentiment == "negative" and alone.stated_rating is None
    assert (rated.sentiment, rated.rating, rated.text_sentiment) == ("positive", 5, "negative")
    assert "rating_mismatch" in rated.reasons and "rating_mismatch" not in alone.reasons
    assert analyse_review("Нормально, на троечку.", stated=3).sentiment == "neutral"


def test_a_review_sites_template_is_read_by_its_verdict() -> None:
    text = (
        "Достоинства: вкусный кофе, красивый интерьер, удобное расположение, быстрая подача. "
        "Недостатки: шумно. Комментарий: ужасно, больше не придём."
    )
    assert analyse_review(text).sentiment == "negative"


def test_what_follows_but_weighs_more() -> None:
    assert analyse_review("Интерьер красивый, но еда ужасная и холодная").sentiment == "negative"


def test_cards_never_show_a_phone_or_obscenity_in_any_field() -> None:
    from bot.reviews.analysis import from_rules

    text = "Еда отличная, но администратор бл*дь грубый, звоните ему 8 916 555-12-34."
    card = from_rules(0, text, analyse_review(text), None)
    shown = " ".join([card.summary, *card.pros, *card.cons, *(hit.evidence for hit in card.aspects.values())])
    assert "555-12-34" not in shown and "бл*дь" not in shown

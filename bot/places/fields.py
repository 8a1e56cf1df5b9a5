"""The catalogue's fields and the names files give them: the vocabulary of the column mapping."""

from __future__ import annotations

__all__ = ["ALIASES", "FIELDS", "MULTI_FIELDS"]

FIELDS: tuple[str, ...] = (
    "name", "category", "subcategory", "description", "address", "city", "region", "district",
    "phone", "email", "website", "working_hours", "latitude", "longitude", "coordinates",
    "rating", "price", "social", "notes", "id",
)  # fmt: skip
# Fields that may come from several columns (their values are joined).
MULTI_FIELDS = frozenset({"address", "phone", "social", "notes", "description"})

# Normalised header words per field. The first entry of each list is the "exact" name.
ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("название", "name", "наименование", "название заведения", "наименование объекта",
             "наименование организации", "название места", "название объекта", "имя", "title", "restname",
             "place", "place name", "venue", "объект", "заведение", "организация", "компания", "commonname",
             "fullname", "shortname", "name ru", "название организации", "наименование заведения"),
    "category": ("категория", "category", "тип", "вид", "тип заведения", "тип объекта", "вид объекта",
                 "рубрика", "рубрики", "type", "kind", "amenity", "tourism", "leisure", "shop", "typeobject",
                 "категория объекта", "вид деятельности", "сфера", "категории", "тип места", "formattype"),
    "subcategory": ("подкатегория", "subcategory", "подтип", "subtype", "подрубрика", "вид заведения"),
    "description": ("описание", "description", "desc", "краткое описание", "о месте", "информация",
                    "about", "описание места", "описание объекта", "текст", "характеристика"),
    "address": ("адрес", "address", "адрес объекта", "местоположение", "location", "addr full",
                "addr street", "addr housenumber", "полный адрес", "юридический адрес", "фактический адрес",
                "адрес заведения", "улица", "street"),
    "city": ("город", "city", "населенный пункт", "addr city", "locality", "town", "нас пункт"),
    "region": ("регион", "region", "область", "край", "субъект", "субъект рф", "admarea",
               "административный округ", "округ", "addr region", "state"),
    "district": ("район", "district", "микрорайон", "admdistrict", "addr district", "городской район"),
    "phone": ("телефон", "phone", "телефоны", "tel", "contact phone", "publicphone", "номер телефона",
              "контактный телефон", "телефон для справок", "phone number", "тел", "мобильный", "contact tel"),
    "email": ("email", "e mail", "почта", "электронная почта", "mail", "адрес электронной почты",
              "contact email", "эл почта", "емейл", "e mail адрес"),
    "website": ("сайт", "website", "web", "url", "веб сайт", "site", "ссылка", "contact website",
                "адрес сайта", "www", "официальный сайт", "web сайт", "homepage"),
    "working_hours": ("часы работы", "working hours", "режим работы", "время работы", "график работы",
                      "opening hours", "workinghours", "hours", "расписание", "график", "режим"),
    "latitude": ("широта", "latitude", "lat", "geo lat", "coord lat", "y"),
    "longitude": ("долгота", "longitude", "lon", "lng", "long", "geo lon", "coord lon", "x"),
    "coordinates": ("координаты", "coordinates", "coords", "geodata", "geo", "geodata center", "point",
                    "геоданные", "широта долгота", "lat lon", "latlon", "геокоординаты", "gps"),
    "rating": ("рейтинг", "rating", "оценка", "stars", "звезды", "средняя оценка", "score"),
    "price": ("цена", "price", "стоимость", "средний чек", "cost", "avg check", "цены", "ценовая категория",
              "чек", "price range", "стоимость билета"),
    "social": ("соцсети", "social", "социальные сети", "соц сети", "vk", "вконтакте", "instagram", "telegram",
               "contact vk", "contact telegram", "контакты в соцсетях"),
    "notes": ("примечание", "notes", "примечания", "комментарий", "комментарии", "заметки", "comment",
              "comments", "доп информация", "дополнительно", "note"),
    "id": ("id", "код", "идентификатор", "global id", "globalid", "external id", "uid", "osm id", "ид",
           "номер", "n", "no", "код объекта", "id объекта", "порядковый номер", "пп", "n пп"),
}  # fmt: skip

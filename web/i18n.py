"""Interface strings per language, and picking the language of a request."""

from flask import request

UI_LANGS = ("uk", "ru")
DEFAULT_UI = "uk"

# One table per language: templates look strings up by key, never branch on the language.
STRINGS = {
    "uk": {
        "site_name": "Пошук новин",
        "tagline": "Пошук українських і російських новин",
        "search_label": "Пошуковий запит",
        "search_button": "Шукати",
        "placeholder": "Наприклад: вибори у Києві",
        "docs_indexed": "Документів у індексі: {n}",
        "results_count": "Знайдено: {total} · {took} мс",
        "results_count_about": "Знайдено: близько {total} · {took} мс",
        "lang_filter": "Мова",
        "lang_all": "Усі мови",
        "lang_uk": "українська",
        "lang_ru": "російська",
        "sort_label": "Порядок",
        "sort_relevance": "За релевантністю",
        "sort_date": "За датою",
        "date_from": "Від дати",
        "date_to": "До дати",
        "apply": "Застосувати",
        "filters": "Фільтри",
        "results": "Результати пошуку",
        "pagination": "Сторінки результатів",
        "prev": "← Попередня",
        "next": "Наступна →",
        "page_of": "Сторінка {page} з {pages}",
        "no_results": "Нічого не знайдено за запитом «{q}».",
        "suggestions": "Спробуйте:",
        "suggest_spelling": "перевірити написання слів;",
        "suggest_fewer": "використати менше слів або загальніші слова;",
        "suggest_filters": "прибрати фільтри мови та дати;",
        "suggest_other_lang": "написати запит іншою мовою (українською чи російською).",
        "no_date": "без дати",
        "source": "Джерело",
        "stored_copy": "збережена копія",
        "back": "← До пошуку",
        "doc_title": "Документ",
        "error_title": "Помилка",
        "error_400": "Некоректний запит.",
        "error_404": "Сторінку не знайдено.",
        "error_405": "Цей метод не підтримується.",
        "error_500": "Щось пішло не так. Спробуйте пізніше.",
        "error_503": "Індекс ще не створено. Спробуйте пізніше.",
        "bad_param": "Некоректне значення параметра «{param}»: змініть фільтри і спробуйте ще раз.",
        "bad_query": "Запит має містити хоча б одне слово.",
        "corrected_layout": "Запит набрано в іншій розкладці. Показано результати для «{q}».",
        "corrected_spelling": "Показано результати для «{q}».",
        "search_exact": "Шукати саме «{q}»",
        "did_you_mean": "Можливо, ви мали на увазі:",
        "partial_none": "Жоден документ не містить усіх слів запиту: показано ті, що мають "
                        "частину з них.",
        "partial_some": "Усі слова запиту є в документах: {n}. За ними — ті, що мають частину "
                        "слів.",
        "go_home": "На головну",
        "switch_ui": "Русский",
        "switch_ui_lang": "ru",
        "opensearch_desc": "Пошук українських і російських новин",
        "suggest_label": "Підказки",
        "suggest_count": "Підказок: {n}. Оберіть стрілками вгору й униз.",
    },
    "ru": {
        "site_name": "Поиск новостей",
        "tagline": "Поиск украинских и русских новостей",
        "search_label": "Поисковый запрос",
        "search_button": "Искать",
        "placeholder": "Например: выборы в Киеве",
        "docs_indexed": "Документов в индексе: {n}",
        "results_count": "Найдено: {total} · {took} мс",
        "results_count_about": "Найдено: около {total} · {took} мс",
        "lang_filter": "Язык",
        "lang_all": "Все языки",
        "lang_uk": "украинский",
        "lang_ru": "русский",
        "sort_label": "Порядок",
        "sort_relevance": "По релевантности",
        "sort_date": "По дате",
        "date_from": "С даты",
        "date_to": "По дату",
        "apply": "Применить",
        "filters": "Фильтры",
        "results": "Результаты поиска",
        "pagination": "Страницы результатов",
        "prev": "← Предыдущая",
        "next": "Следующая →",
        "page_of": "Страница {page} из {pages}",
        "no_results": "По запросу «{q}» ничего не найдено.",
        "suggestions": "Попробуйте:",
        "suggest_spelling": "проверить написание слов;",
        "suggest_fewer": "использовать меньше слов или более общие слова;",
        "suggest_filters": "убрать фильтры языка и даты;",
        "suggest_other_lang": "написать запрос на другом языке (украинском или русском).",
        "no_date": "без даты",
        "source": "Источник",
        "stored_copy": "сохранённая копия",
        "back": "← К поиску",
        "doc_title": "Документ",
        "error_title": "Ошибка",
        "error_400": "Некорректный запрос.",
        "error_404": "Страница не найдена.",
        "error_405": "Этот метод не поддерживается.",
        "error_500": "Что-то пошло не так. Попробуйте позже.",
        "error_503": "Индекс ещё не создан. Попробуйте позже.",
        "bad_param": "Некорректное значение параметра «{param}»: измените фильтры и повторите.",
        "bad_query": "Запрос должен содержать хотя бы одно слово.",
        "corrected_layout": "Запрос набран в другой раскладке. Показаны результаты для «{q}».",
        "corrected_spelling": "Показаны результаты для «{q}».",
        "search_exact": "Искать именно «{q}»",
        "did_you_mean": "Возможно, вы имели в виду:",
        "partial_none": "Ни один документ не содержит всех слов запроса: показаны те, в которых "
                        "есть часть из них.",
        "partial_some": "Все слова запроса есть в документах: {n}. За ними — те, в которых есть "
                        "часть слов.",
        "go_home": "На главную",
        "switch_ui": "Українська",
        "switch_ui_lang": "uk",
        "opensearch_desc": "Поиск украинских и русских новостей",
        "suggest_label": "Подсказки",
        "suggest_count": "Подсказок: {n}. Выбирайте стрелками вверх и вниз.",
    },
}


def ui_lang() -> str:
    """The interface language: ?ui= first, then Accept-Language, then Ukrainian."""
    asked = request.args.get("ui", "")
    if asked in UI_LANGS:
        return asked
    return request.accept_languages.best_match(UI_LANGS, default=DEFAULT_UI)


def explicit_ui() -> str | None:
    """The ?ui= value if the user chose one, so links can keep it."""
    asked = request.args.get("ui", "")
    return asked if asked in UI_LANGS else None

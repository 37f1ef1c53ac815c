"""Clustering news in other languages and scripts: two rewrites of one story plus a
different story of the same week, in German, Spanish, Russian, Chinese, Japanese and
Arabic. The texts are written for these tests."""

from __future__ import annotations

import datetime as dt

import pytest

from dedupe_news import Article, StoryClusterer

WEEK = dt.date(2024, 3, 18)

STORIES = {
    "de": (
        "Die Bundesregierung hat am Montag eine Reform der Rente beschlossen. Arbeitsminister "
        "Hubertus Heil sagte in Berlin, das Rentenniveau solle bis 2039 bei 48 Prozent gesichert "
        "werden. Die Beiträge steigen nach dem Plan ab 2028 schrittweise auf 22,3 Prozent. Die "
        "Opposition kritisierte die Kosten für die junge Generation.",
        "Das Kabinett in Berlin hat das Rentenpaket von Arbeitsminister Hubertus Heil gebilligt. "
        "Damit soll das Rentenniveau von 48 Prozent bis zum Jahr 2039 garantiert werden, während "
        "der Beitragssatz ab 2028 auf 22,3 Prozent klettert. Kritik kam von der Opposition, die "
        "vor hohen Kosten für die junge Generation warnt.",
        "Im Hamburger Hafen ist am Montagabend ein Großbrand in einer Lagerhalle ausgebrochen. "
        "Die Feuerwehr war mit mehr als 150 Einsatzkräften vor Ort, über dem Stadtteil "
        "Wilhelmsburg stand eine dichte Rauchwolke. Verletzt wurde nach Angaben der Polizei "
        "niemand, die Ursache des Feuers ist noch unklar.",
    ),
    "es": (
        "El Banco de España elevó el martes su previsión de crecimiento para 2024 hasta el 2,3 "
        "por ciento. El gobernador Pablo Hernández de Cos explicó en Madrid que el consumo de "
        "los hogares y el turismo sostienen la economía. La institución mantiene en el 3 por "
        "ciento su previsión de inflación.",
        "El gobernador del Banco de España, Pablo Hernández de Cos, presentó en Madrid unas "
        "previsiones más optimistas: la economía crecerá un 2,3 por ciento en 2024 gracias al "
        "turismo y al consumo de los hogares. La inflación se quedará en torno al 3 por ciento, "
        "según el organismo.",
        "Un incendio forestal obligó el martes a desalojar a cerca de 600 vecinos en la isla de "
        "Tenerife. Los bomberos luchan contra las llamas en una zona de pinares de difícil "
        "acceso, y el viento complica los trabajos. El Cabildo pidió a la población que no se "
        "acerque a la zona.",
    ),
    "ru": (
        "Центральный банк России в пятницу повысил ключевую ставку до 16 процентов. Глава "
        "регулятора Эльвира Набиуллина заявила в Москве, что инфляция остаётся высокой, а рубль "
        "ослаб. Следующее заседание совета директоров пройдёт в декабре.",
        "Банк России поднял ключевую ставку сразу до 16 процентов годовых. Как объяснила на "
        "пресс-конференции в Москве Эльвира Набиуллина, решение связано с высокой инфляцией и "
        "ослаблением рубля. Совет директоров вернётся к вопросу о ставке в декабре.",
        "В Санкт-Петербурге в пятницу открылся новый участок метро с тремя станциями. Губернатор "
        "Александр Беглов проехал по линии вместе с первыми пассажирами. Строительство заняло "
        "почти десять лет и обошлось городу в 50 миллиардов рублей.",
    ),
    "zh": (
        "国家统计局周三公布，今年第三季度国内生产总值同比增长4.9%。统计局发言人表示，消费和服务业"
        "恢复较快，但房地产投资继续下降。专家认为全年5%左右的增长目标有望实现。",
        "据国家统计局周三发布的数据，第三季度中国经济同比增长4.9%，高于市场预期。发言人指出，消费和"
        "服务业回升明显，房地产投资仍在下降。分析人士表示，实现全年5%左右的增长目标问题不大。",
        "台风“小犬”周四在广东沿海登陆，最大风力达到14级。广东省已紧急转移超过10万名群众，多个航班"
        "和高铁列车停运。气象部门预计台风将在未来两天带来强降雨。",
    ),
    "ja": (
        "日本銀行は火曜日、金融政策決定会合でマイナス金利政策の解除を決めた。植田和男総裁は東京で"
        "記者会見し、賃上げの動きが広がり物価目標の達成が見通せるようになったと説明した。利上げは"
        "17年ぶりとなる。",
        "日銀がマイナス金利の解除を決定し、17年ぶりの利上げに踏み切った。植田和男総裁は記者会見で、"
        "春闘での賃上げが広がり、2%の物価目標が実現できる見通しが立ったと述べた。会合は東京で"
        "火曜日まで開かれた。",
        "北海道で火曜日、震度5強の地震が観測された。気象庁によると震源は十勝地方で、マグニチュードは"
        "5.8だった。この地震による津波の心配はなく、けが人の情報も入っていない。JRは一部の列車の"
        "運転を見合わせた。",
    ),
    "ar": (
        "أعلن البنك المركزي المصري يوم الخميس رفع أسعار الفائدة بمقدار 200 نقطة أساس. وقال محافظ "
        "البنك حسن عبد الله في القاهرة إن القرار يهدف إلى كبح التضخم الذي تجاوز 35 في المئة. ويأتي "
        "القرار بعد تراجع الجنيه أمام الدولار.",
        "رفع البنك المركزي المصري أسعار الفائدة 200 نقطة أساس في اجتماعه يوم الخميس. وأوضح المحافظ "
        "حسن عبد الله من القاهرة أن الهدف هو السيطرة على التضخم الذي يزيد على 35 في المئة، في ظل "
        "تراجع الجنيه المصري مقابل الدولار.",
        "افتتح وزير النقل المصري يوم الخميس محطة جديدة للقطار الكهربائي السريع في مدينة العلمين. "
        "وقال الوزير إن القطار سيربط بين البحر الأحمر والبحر المتوسط بطول 660 كيلومترا، وإن التشغيل "
        "التجريبي سيبدأ العام المقبل.",
    ),
}


def articles(language: str) -> list[Article]:
    first, second, other = STORIES[language]
    return [
        Article(f"{language}-a1", first, date=WEEK),
        Article(f"{language}-a2", second, date=WEEK + dt.timedelta(days=1)),
        Article(f"{language}-b", other, date=WEEK + dt.timedelta(days=2)),
    ]


@pytest.mark.parametrize("language", sorted(STORIES))
def test_rewrites_cluster_and_the_other_story_stays_apart(language):
    assert StoryClusterer().fit_predict(articles(language)).tolist() == [0, 0, 1]


def test_five_scripts_together_make_ten_stories():
    # Names and numbers shared across scripts ("2024", "16") must not join stories.
    corpus = [a for language in ("ar", "de", "ja", "ru", "zh") for a in articles(language)]
    labels = StoryClusterer().fit_predict(corpus).tolist()
    assert labels == [0, 0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 8, 8, 9]


def test_a_language_in_a_few_articles_of_a_mixed_corpus_has_its_stop_words():
    # Spanish is 3 of 18 articles: too few for corpus stop words, so only the reference
    # table keeps "el", "la", "que", "los" from joining the fire to the bank story.
    corpus = [a for language in sorted(STORIES) for a in articles(language)]
    labels = StoryClusterer().fit_predict(corpus).tolist()
    assert labels == [0, 0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 8, 8, 9, 10, 10, 11]


def test_three_spanish_articles_share_no_function_words():
    clusterer = StoryClusterer().fit(articles("es"))
    assert clusterer.explain("es-a1", "es-a2").cosine_similarity > 0.4
    assert clusterer.explain("es-a1", "es-b").cosine_similarity < 0.05
    assert clusterer.explain("es-a2", "es-b").cosine_similarity < 0.05


@pytest.mark.parametrize("language", ["zh", "ja"])
def test_unspaced_rewrites_are_similar_and_the_other_story_is_not(language):
    clusterer = StoryClusterer().fit(articles(language))
    same = clusterer.explain(f"{language}-a1", f"{language}-a2")
    other = clusterer.explain(f"{language}-a1", f"{language}-b")
    assert same.cosine_similarity > 0.3
    assert other.cosine_similarity < 0.05

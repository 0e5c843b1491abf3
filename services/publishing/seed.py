"""Demo documents: news and press releases of Akhmeta's mayor's office, published."""

from __future__ import annotations

from meria.seed import SeedContext

DOCUMENTS = [
    {
        "document_type": "news",
        "title_ka": "ახმეტაში ახალი საბავშვო ბაღი გაიხსნა",
        "title_en": "A new kindergarten opened in Akhmeta",
        "summary_ka": "ქალაქ ახმეტაში 120 ბავშვზე გათვლილი საბავშვო ბაღი გაიხსნა.",
        "summary_en": "A kindergarten for 120 children opened in the town of Akhmeta.",
        "body_ka": "<p>ახმეტის მუნიციპალიტეტის მერიის ინიციატივით ქალაქში ახალი საბავშვო "
        "ბაღი გაიხსნა. გახსნას მუნიციპალიტეტის მერი და მშობლები დაესწრნენ.</p>",
        "body_en": "<p>On the initiative of Akhmeta Municipality City Hall a new kindergarten "
        "opened in the town. The mayor and parents attended the opening.</p>",
    },
    {
        "document_type": "press_release",
        "title_ka": "მერიამ პანკისის ხეობის გზების რეაბილიტაცია დაიწყო",
        "title_en": "City Hall begins rehabilitating the roads of the Pankisi Valley",
        "summary_ka": "სამუშაოები ექვს სოფელს მოიცავს და შემოდგომამდე დასრულდება.",
        "summary_en": "The works cover six villages and will finish by autumn.",
        "body_ka": "<p>ახმეტის მუნიციპალიტეტის მერიამ პანკისის ხეობის სოფლების "
        "დამაკავშირებელი გზების რეაბილიტაცია დაიწყო.</p>",
        "body_en": "<p>Akhmeta Municipality City Hall has begun rehabilitating the roads that "
        "connect the villages of the Pankisi Valley.</p>",
    },
    {
        "document_type": "announcement",
        "title_ka": "თუშეთის გზა ზამთრის პერიოდში დაიკეტება",
        "title_en": "The Tusheti road closes for the winter",
        "summary_ka": "აბანოს უღელტეხილის გზა მოძრაობისთვის ზამთრის სეზონზე დაიკეტება.",
        "summary_en": "The road over the Abano Pass closes to traffic for the winter season.",
    },
]


async def seed(context: SeedContext) -> int:
    existing = await context.http.get(
        context.url("publishing", "/documents"), params={"limit": 500}
    )
    existing.raise_for_status()
    states = {document["title_ka"]: document for document in existing.json()}
    created = 0
    for document in DOCUMENTS:
        found = states.get(document["title_ka"])
        if found is not None and found["state"] != "draft":
            continue
        if found is None:
            response = await context.http.post(
                context.url("publishing", "/documents"), json=document
            )
            response.raise_for_status()
            found = response.json()
        document_id = found["id"]
        submitted = await context.http.post(
            context.url("publishing", f"/documents/{document_id}/submit"), json={}
        )
        submitted.raise_for_status()
        created += 1
    return created

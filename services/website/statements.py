"""The site's pages about itself: the accessibility statement, the privacy notice and the
sitemap for people (`/sitemap`), in Georgian and English.

Their words are here, a heading and its paragraphs at a time; the pages' places and
titles are in `texts.TEXT`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from meria.web import RuntimeDep
from services.website.pages import menu, render
from services.website.texts import Language

router = APIRouter(include_in_schema=False)

# The day the statements were last reviewed; a change to their words moves it.
REVIEWED_ON = "2026-12-07"

Sections = tuple[tuple[str, tuple[str, ...]], ...]

STATEMENTS: dict[str, dict[Language, Sections]] = {
    "accessibility": {
        "ka": (
            (
                "",
                (
                    "მერია ცდილობს, რომ მისი ვებგვერდით ყველამ ისარგებლოს, მათ შორის შეზღუდული "
                    "შესაძლებლობის მქონე ადამიანებმა. ეს განცხადება ეხება ამ საიტის ყველა გვერდს "
                    "ქართულ და ინგლისურ ენებზე.",
                ),
            ),
            (
                "შესაბამისობის სტატუსი",
                (
                    "საიტი ნაწილობრივ შეესაბამება ვებკონტენტის ხელმისაწვდომობის სახელმძღვანელოს "
                    "(WCAG) 2.1 ვერსიის AA დონეს: ქვემოთ ჩამოთვლილი გამონაკლისების გარდა, "
                    "შეესაბამება სრულად.",
                ),
            ),
            (
                "რა შეგიძლიათ",
                (
                    "საიტით სარგებლობა მხოლოდ კლავიატურით; ნებისმიერ გვერდზე პირველი ბმული "
                    "მთავარ შინაარსზე გადაგიყვანთ.",
                    "ტექსტის გადიდება 200%-მდე და საიტის ტელეფონზე კითხვა ჰორიზონტალური "
                    "გადახვევის გარეშე.",
                    "ეკრანის წამკითხველით სარგებლობა: გვერდებს აქვს სათაურები, ორიენტირები და "
                    "წარწერები ფორმის ყველა ველთან.",
                    "საიტი მუშაობს JavaScript-ის გარეშე და არ იყენებს ქუქი-ფაილებს.",
                ),
            ),
            (
                "ცნობილი შეზღუდვები",
                (
                    "სამართლებრივი აქტების ხელმოწერილი PDF დედნები შეიძლება ეკრანის "
                    "წამკითხველისთვის ბოლომდე მისაწვდომი არ იყოს. თითოეული აქტის ტექსტი საიტზე "
                    "HTML-ის სახითაც ქვეყნდება, ხოლო მანქანურად წაკითხვადი ვერსია — Akoma Ntoso "
                    "XML ფორმატში.",
                    "ზოგიერთი დანართი (მაგალითად, სკანირებული დოკუმენტი) ტექსტის სახით "
                    "ხელმისაწვდომი არ არის. მოგვწერეთ და ტექსტს სხვა ფორმატში გამოგიგზავნით.",
                ),
            ),
            (
                "როგორ ვამოწმებთ",
                (
                    "ყოველი ცვლილების წინ საიტის გვერდები ავტომატურად მოწმდება WCAG-ის წესებით "
                    "Chromium ბრაუზერში, მათ შორის ტელეფონის ეკრანის სიგანეზე; სერიოზული "
                    "დარღვევის შემთხვევაში ცვლილება არ ქვეყნდება.",
                ),
            ),
            (
                "უკუკავშირი",
                (
                    "თუ საიტის რომელიმე ნაწილით ვერ სარგებლობთ ან ინფორმაცია სხვა ფორმატში "
                    "გჭირდებათ, მიმართეთ საზოგადოებასთან ურთიერთობისა და საერთაშორისო "
                    "პროექტების განყოფილებას საკონტაქტო გვერდზე მითითებული მისამართით. "
                    "გიპასუხებთ 10 სამუშაო დღეში.",
                ),
            ),
        ),
        "en": (
            (
                "",
                (
                    "The City Hall wants everyone to be able to use its website, people with "
                    "disabilities included. This statement covers every page of this site, in "
                    "Georgian and in English.",
                ),
            ),
            (
                "Compliance status",
                (
                    "The site is partially compliant with the Web Content Accessibility "
                    "Guidelines (WCAG) version 2.1 at level AA: fully, except for the "
                    "limitations listed below.",
                ),
            ),
            (
                "What you can do",
                (
                    "Use the whole site with a keyboard alone; the first link of every page "
                    "skips to its main content.",
                    "Zoom text up to 200% and read the site on a phone without scrolling sideways.",
                    "Use a screen reader: pages have headings, landmarks and a label on every "
                    "form field.",
                    "Use the site without JavaScript; it sets no cookies.",
                ),
            ),
            (
                "Known limitations",
                (
                    "The signed PDF originals of legal acts may not be fully accessible to "
                    "screen readers. The text of every act is also published on the site as "
                    "HTML, and in machine-readable Akoma Ntoso XML.",
                    "Some attachments (scanned documents, for example) have no text version. "
                    "Write to us and we will send the text in another format.",
                ),
            ),
            (
                "How we test",
                (
                    "Before every change the site's pages are checked automatically against "
                    "the WCAG rules (axe-core) in the Chromium browser, at a phone's width "
                    "too; a change with a serious violation is not published.",
                ),
            ),
            (
                "Feedback",
                (
                    "If you cannot use part of this site, or need information in another "
                    "format, write to the Public Relations and International Projects "
                    "Department at the address on the contacts page. We answer within 10 "
                    "working days.",
                ),
            ),
        ),
    },
    "privacy": {
        "ka": (
            (
                "",
                (
                    "ამ ვებგვერდს მართავს მერია, რომელიც თქვენი პერსონალური მონაცემების "
                    "დამმუშავებელია „პერსონალურ მონაცემთა დაცვის შესახებ“ საქართველოს კანონის "
                    "შესაბამისად.",
                ),
            ),
            (
                "რას ვაგროვებთ",
                (
                    "საიტი არ იყენებს ქუქი-ფაილებს, ვიზიტორების თვალთვალს, სტატისტიკის "
                    "სერვისებს და სხვა კომპანიების სკრიპტებს ან შრიფტებს.",
                    "სერვერი ინახავს მოთხოვნების ჟურნალს (IP მისამართი, დრო, მოთხოვნილი "
                    "მისამართი, ბრაუზერის დასახელება) მხოლოდ იმდენ ხანს, რამდენიც საიტის "
                    "უსაფრთხოებისა და გამართული მუშაობისთვისაა საჭირო.",
                    "ავთენტურობის შემოწმებისას ატვირთული ფაილი მხოლოდ შემოწმდება და არ ინახება.",
                ),
            ),
            (
                "ელფოსტით გამოწერა",
                (
                    "თუ სიახლეებს, აქტებს ან ღონისძიებებს ელფოსტით გამოიწერთ, ვინახავთ თქვენს "
                    "ელფოსტის მისამართს, არჩეულ თემებს, ენას და გამოწერის დადასტურების დროს. "
                    "მათ ვიყენებთ მხოლოდ ამ წერილების გასაგზავნად და არავის გადავცემთ. "
                    "გამოწერის გაუქმება ყოველი წერილის ბმულით შეგიძლიათ.",
                ),
            ),
            (
                "თქვენი უფლებები",
                (
                    "შეგიძლიათ მოითხოვოთ ინფორმაცია თქვენს შესახებ დაცული მონაცემების "
                    "თაობაზე, მათი გასწორება ან წაშლა — მიმართეთ საკონტაქტო გვერდზე "
                    "მითითებულ მისამართს. საჩივრით შეგიძლიათ მიმართოთ პერსონალურ მონაცემთა "
                    "დაცვის სამსახურს.",
                ),
            ),
        ),
        "en": (
            (
                "",
                (
                    "This website is run by the City Hall, the controller of your personal "
                    "data under the Law of Georgia on Personal Data Protection.",
                ),
            ),
            (
                "What we collect",
                (
                    "The site sets no cookies and uses no visitor tracking, no analytics "
                    "service and no other company's scripts or fonts.",
                    "The server keeps a log of requests (IP address, time, the address asked "
                    "for, the browser's name) only as long as the site's security and "
                    "operation need it.",
                    "A file uploaded to check its authenticity is checked and not kept.",
                ),
            ),
            (
                "Subscriptions by e-mail",
                (
                    "If you subscribe to news, acts or events by e-mail, we keep your e-mail "
                    "address, the topics you chose, your language and when you confirmed. We "
                    "use them only to send you these messages and give them to no one. Every "
                    "message has a link to unsubscribe.",
                ),
            ),
            (
                "Your rights",
                (
                    "You may ask what data we hold about you, and have it corrected or erased: "
                    "write to the address on the contacts page. You may complain to the "
                    "Personal Data Protection Service of Georgia.",
                ),
            ),
        ),
    },
}


@router.get("/accessibility", response_class=HTMLResponse)
@router.get("/en/accessibility", response_class=HTMLResponse)
async def accessibility(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return await _statement(request, runtime, "accessibility")


@router.get("/privacy", response_class=HTMLResponse)
@router.get("/en/privacy", response_class=HTMLResponse)
async def privacy(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return await _statement(request, runtime, "privacy")


async def _statement(request: Request, runtime: RuntimeDep, name: str) -> HTMLResponse:
    from services.website.pages import language_of

    contacts = [p for p in (await menu(request, runtime)).pages if p.nav_section == "contacts"]
    return await render(
        request, runtime, "statement.html", name=name, contacts=contacts,
        sections=STATEMENTS[name][language_of(request)], reviewed_on=REVIEWED_ON,
    )  # fmt: skip


# The sitemap for people: the site's sections, then its standing pages by their place.
SITE_SECTIONS = ("acts", "news", "press-releases", "announcements", "digests", "calendar")
SITE_SERVICES = ("search", "verify", "data", "accessibility", "privacy")


@router.get("/sitemap", response_class=HTMLResponse)
@router.get("/en/sitemap", response_class=HTMLResponse)
async def sitemap_page(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    nav = await menu(request, runtime)
    return await render(
        request, runtime, "sitemap.html", sections=SITE_SECTIONS, services=SITE_SERVICES,
        groups=[group for group in nav.groups if group.links],
    )  # fmt: skip

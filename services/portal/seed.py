"""Demo staff accounts, one per role, for development: `make run` prints them.

Production refuses them: the demo password is public.
"""

from __future__ import annotations

from meria.seed import SeedContext
from services.portal.settings import DEMO_PASSWORD

# (user name, display name, roles, language); user names match the publishing seed's people.
DEMO_ACCOUNTS: list[tuple[str, str, list[str], str]] = [
    ("demo.editor", "ნინო ბერიძე", ["editor"], "ka"),
    ("demo.lawyer", "ლევან კაპანაძე", ["legal_reviewer"], "ka"),
    ("demo.head", "თამარ გელაშვილი", ["head_of_department"], "ka"),
    ("demo.mayor", "ახმეტის მერი", ["mayor"], "ka"),
    ("demo.protocol", "მარიამ ჩოხელი", ["protocol_officer"], "ka"),
    ("demo.media", "გიორგი ხიზანიშვილი", ["media_officer"], "ka"),
    ("demo.requester", "ეკა ბუჩუკური", ["requester"], "ka"),
    ("demo.admin", "ადმინისტრატორი", ["admin"], "en"),
]


def demo_accounts_text() -> str:
    names = ", ".join(name for name, *_ in DEMO_ACCOUNTS)
    return f"  Demo sign-in      {names}  (password: {DEMO_PASSWORD})"


async def seed(context: SeedContext) -> int:
    if context.settings.production:
        print("seed: portal: no demo accounts in production", flush=True)
        return 0
    existing = await context.http.get(context.url("portal", "/api/accounts"))
    existing.raise_for_status()
    known = {account["username"] for account in existing.json()}
    created = 0
    for username, display_name, roles, language in DEMO_ACCOUNTS:
        if username in known:
            continue
        response = await context.http.put(
            context.url("portal", f"/api/accounts/{username}"),
            json={
                "display_name": display_name,
                "roles": roles,
                "email": f"{username}@akhmeta.gov.ge",
                "password": DEMO_PASSWORD,
                "language": language,
            },
        )
        response.raise_for_status()
        created += 1
    return created

"""Text for the demo's synthetic traffic: prompts and outputs per task.

Each task has a system prompt, a way to build a realistic user message from a
seeded ``random.Random``, and a way to write a good (or a flawed) answer.
Nothing here decides *how often* things go wrong: that is the traffic model's
job (``core/demo/traffic.py``).
"""

from __future__ import annotations

import random

import orjson

FIRST = ["Ana", "Bram", "Chen", "Dana", "Elif", "Femi", "Greta", "Hiro", "Ines", "Jonas",
         "Kemal", "Lena", "Marta", "Nikhil", "Olga", "Priya", "Quinn", "Rosa", "Sven", "Tariq"]
LAST = ["Alvarez", "Berg", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Haas", "Ito",
        "Jansen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov", "Rossi",
        "Schmidt", "Tanaka", "Varga"]
COMPANIES = ["Northwind Traders", "Blue Harbor Logistics", "Kestrel Analytics", "Pinecone Dental",
             "Ridgeline Solar", "Copperleaf Books", "Tidewater Freight", "Lumen Health",
             "Orbit Robotics", "Saffron Kitchens", "Granite Legal", "Helix Biotech"]
PRODUCTS = ["the mobile app", "the billing portal", "Acme Sync", "the API", "the admin console",
            "two-factor login", "the CSV export", "Slack integration"]

SYSTEM = {
    "support_answer": (
        "You are Acme Cloud's support assistant. Answer the customer's question in a friendly, "
        "concise way. Link to docs when useful. Never promise refunds."
    ),
    "extract_contact": (
        "Extract the sender's contact details from the message. Reply with ONLY a JSON object "
        'with exactly the keys "name", "email" and "company". Use null when a value is missing.'
    ),
    "summarize_ticket": (
        "Summarise the support ticket thread for the on-call engineer in at most three "
        "sentences: the problem, what was tried, what is needed next."
    ),
    "classify_ticket": (
        "Classify the ticket into exactly one label: billing, bug, feature_request, account, "
        "other. Reply with the label only."
    ),
    "sql_generation": (
        "Write one SQLite query that answers the question. Tables: customers(id, name, plan, "
        "created_at), invoices(id, customer_id, amount_usd, paid, issued_at). Reply with SQL only."
    ),
}
TASKS = tuple(SYSTEM)
LABELS = ("billing", "bug", "feature_request", "account", "other")

_QUESTIONS = [
    ("How do I reset my password for {p}?", "account"),
    ("I was charged twice this month, can you check invoice {n}?", "billing"),
    ("{p} crashes when I open the settings page on Android 14.", "bug"),
    ("Can you add dark mode to {p}? Our team works nights.", "feature_request"),
    ("How do I invite a colleague to our workspace?", "account"),
    ("Why is my plan still showing Starter after I upgraded?", "billing"),
    ("The export from {p} is missing the last row of data.", "bug"),
    ("Is there a way to schedule reports weekly?", "feature_request"),
    ("What are your office hours?", "other"),
    ("{p} keeps logging me out every few minutes.", "bug"),
    ("How can I download all my invoices as PDF?", "billing"),
    ("Please delete my account and all data.", "account"),
]
_ANSWERS = {
    "account": (
        'You can manage this under Settings -> Account. Click "{a}" and follow the emailed '
        "link; it expires after 30 minutes. Docs: https://docs.acme.example/account"
    ),
    "billing": (
        "Thanks for flagging this. I can see the charge on your account; billing will review "
        "it within one business day and you'll get an email from billing@acme.example. "
        "Docs: https://docs.acme.example/billing"
    ),
    "bug": (
        "Sorry about that! Please update {p} to the latest version first. If it still "
        "happens, send us the time it occurred and we'll open an engineering ticket."
    ),
    "feature_request": (
        "Great idea. It isn't available yet, but I've added your vote to the request so the "
        "product team sees it. You can follow the roadmap at https://acme.example/roadmap."
    ),
    "other": (
        "Our support team is available Monday to Friday, 08:00-20:00 CET, and the status "
        "page at https://status.acme.example is always up to date."
    ),
}
_ACTIONS = ["Reset password", "Invite member", "Manage seats", "Security"]
REFUSAL = "I'm sorry, but I can't help with that request."

_SIG_STYLES = [
    "Hi team,\n\nCould you send me the renewal quote for next year?\n\n"
    "Best regards,\n{name}\n{title}, {company}\n{email}",
    "Hello! We met at the trade show last week. I'd love a demo for my team. "
    "You can reach me at {email}. -- {name} ({company})",
    "From: {name} <{email}>\nSubject: Partnership\n\n"
    "We at {company} are exploring vendors for Q3. Are you free Thursday?",
    "Quick question about pricing for 40 seats.\n\n"
    "Thanks,\n{name} | {company}\nM: {phone} | {email}",
]
_TITLES = ["Head of Operations", "CTO", "Procurement Lead", "Office Manager", "VP Sales"]

_THREADS = [
    ("Customer reports that webhook deliveries to their endpoint fail with 502 since Tuesday.",
     "Support checked the delivery log and retried three events manually; two succeeded.",
     "Engineering needs to check the proxy timeout on the EU cluster."),
    ("Invoice totals in the admin console differ from the PDF by a few cents.",
     "Support reproduced it with a discount code and a non-USD currency.",
     "Billing team to confirm which rounding rule is correct."),
    ("SSO login loops back to the sign-in page for users in one tenant.",
     "The customer rotated their IdP certificate yesterday; clearing cookies did not help.",
     "Someone with tenant admin access must re-upload the new certificate."),
    ("Nightly CSV export is empty for the last two days.",
     "The job shows success; the source table has rows for those dates.",
     "Check whether the timezone change in the scheduler shifted the query window."),
]

_SQL = [
    ("How many customers are on the Pro plan?",
     "SELECT COUNT(*) FROM customers WHERE plan = 'Pro';"),
    ("Total unpaid invoice amount per customer, largest first.",
     "SELECT c.name, SUM(i.amount_usd) AS unpaid FROM invoices i "
     "JOIN customers c ON c.id = i.customer_id WHERE i.paid = 0 "
     "GROUP BY c.id ORDER BY unpaid DESC;"),
    ("Customers created in the last 30 days.",
     "SELECT id, name FROM customers WHERE created_at >= date('now', '-30 days');"),
    ("Average invoice amount by month.",
     "SELECT strftime('%Y-%m', issued_at) AS month, AVG(amount_usd) FROM invoices "
     "GROUP BY month ORDER BY month;"),
]


def person(rng: random.Random) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company = rng.choice(COMPANIES)
    domain = company.split()[0].lower() + ".example"
    return {
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}@{domain}",
        "company": company,
        "phone": f"+44 20 7946 {rng.randrange(1000, 9999)}",
        "title": rng.choice(_TITLES),
    }


def prompt(task: str, rng: random.Random) -> tuple[str, dict]:
    """The user message for ``task`` and the facts a correct answer needs."""
    if task == "support_answer" or task == "classify_ticket":
        q, label = rng.choice(_QUESTIONS)
        text = q.format(p=rng.choice(PRODUCTS), n=f"INV-{rng.randrange(10000, 99999)}")
        return text, {"label": label, "product": rng.choice(PRODUCTS)}
    if task == "extract_contact":
        who = person(rng)
        return rng.choice(_SIG_STYLES).format(**who), who
    if task == "summarize_ticket":
        problem, tried, nxt = rng.choice(_THREADS)
        ticket = f"#{rng.randrange(40000, 49999)}"
        text = (f"Ticket {ticket}\nCustomer: {problem}\nAgent: {tried}\n"
                f"Agent: Escalating. {nxt}\nCustomer: Any update? This blocks our month-end close.")
        return text, {"problem": problem, "tried": tried, "next": nxt}
    if task == "sql_generation":
        question, sql = rng.choice(_SQL)
        return question, {"sql": sql}
    raise ValueError(f"unknown demo task {task!r}")


def answer(task: str, facts: dict, rng: random.Random, *, flaw: str | None = None) -> str:
    """A model's reply. ``flaw`` names what went wrong, if anything:
    ``hallucinated_field``, ``prose_json``, ``wrong_label``, ``rambling``,
    ``not_sql``, ``refusal``, ``vague``."""
    if flaw == "refusal":
        return REFUSAL
    if task == "support_answer":
        if flaw == "vague":
            return "Please check our documentation for more information about this topic."
        text = _ANSWERS[facts["label"]].format(a=rng.choice(_ACTIONS), p=facts["product"])
        return ("Hi there! " if rng.random() < 0.5 else "") + text
    if task == "classify_ticket":
        if flaw == "wrong_label":
            return rng.choice([x for x in LABELS if x != facts["label"]])
        if flaw == "vague":
            return f"The label is probably {facts['label']}."
        return facts["label"]
    if task == "extract_contact":
        obj: dict = {"name": facts["name"], "email": facts["email"], "company": facts["company"]}
        if flaw == "hallucinated_field":
            obj["phone_number"] = facts["phone"]
        body = orjson.dumps(obj, option=orjson.OPT_INDENT_2 if rng.random() < 0.3 else 0).decode()
        if flaw == "prose_json":
            return f"Here is the extracted contact:\n{body}\nLet me know if you need anything else!"
        return body
    if task == "summarize_ticket":
        if flaw == "rambling":
            return (f"{facts['problem']} {facts['tried']} The customer followed up. "
                    "They said it is urgent. " * 3 + facts["next"])
        if flaw == "vague":
            return "The customer has an issue that needs follow-up."
        return f"{facts['problem']} {facts['tried']} Next: {facts['next']}"
    if task == "sql_generation":
        if flaw == "not_sql":
            return "You could count the rows in the customers table filtered by plan."
        return facts["sql"]
    raise ValueError(f"unknown demo task {task!r}")

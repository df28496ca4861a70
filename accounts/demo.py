"""Demo people: 4 teams of about 10 reps, each with a manager and a coach; a leader; an admin.

Idempotent: people are found by email, so a second run changes nothing.
"""

import datetime as dt
import functools
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from accounts.models import CoachAssignment, CrmIdentity, Team, User
from accounts.roles import Role

DEMO_PASSWORD = "coachline-demo"  # noqa: S105 - public demo login, printed by make run
DEMO_DOMAIN = "demo.coachline.app"
# Segment names as sales organisations use them, in English in a German organisation too (the
# deals and tools demos segment by them).
TEAMS = ["Enterprise East", "Enterprise West", "Mid-Market", "Commercial"]
ZONES = ["America/New_York", "America/Los_Angeles", "Europe/Berlin", "Europe/London"]
FIRST = [
    "Alex",
    "Sam",
    "Jordan",
    "Taylor",
    "Morgan",
    "Casey",
    "Riley",
    "Jamie",
    "Avery",
    "Quinn",
    "Priya",
    "Mateo",
    "Chen",
    "Fatima",
    "Lukas",
    "Sofia",
    "Omar",
    "Hannah",
    "Diego",
    "Aisha",
    "Noah",
    "Elena",
    "Kwame",
    "Yuki",
    "Marta",
    "Ravi",
    "Ines",
    "Tomás",
    "Leah",
    "Jonas",
]
LAST = [
    "Nguyen",
    "Schmidt",
    "Okafor",
    "García",
    "Kowalski",
    "Patel",
    "Müller",
    "Johnson",
    "Rossi",
    "Kim",
    "Haddad",
    "Silva",
    "Andersen",
    "Dubois",
    "Tanaka",
    "O'Brien",
    "Fischer",
    "Mensah",
]

# The logins printed by `make run`, one per role.
DEMO_LOGINS = [
    ("rep", f"rep@{DEMO_DOMAIN}"),
    ("coach", f"coach@{DEMO_DOMAIN}"),
    ("manager", f"manager@{DEMO_DOMAIN}"),
    ("leader", f"leader@{DEMO_DOMAIN}"),
    ("admin", f"admin@{DEMO_DOMAIN}"),
]


@dataclass
class DemoOrg:
    teams: list[Team] = field(default_factory=list)
    reps: list[User] = field(default_factory=list)
    coaches: list[User] = field(default_factory=list)
    managers: list[User] = field(default_factory=list)
    leader: User | None = None
    admin: User | None = None
    # The language the demo is written in (seed_demo --language).
    language: str = "en"


@functools.cache
def _demo_password_hash() -> str:
    # Every demo person shares one password, so hash it once: the default hasher is slow on
    # purpose (about half a second per call), which made seeding fifty people take half a minute.
    return make_password(DEMO_PASSWORD)


def _person(email: str, name: str, role: str, **fields: object) -> User:
    user, _created = User.objects.get_or_create(
        email=email,
        defaults={"full_name": name, "role": role, "password": _demo_password_hash(), **fields},
    )
    return user


def seed(org: DemoOrg, rng: random.Random) -> None:
    names = iter(rng.sample([f"{f} {last}" for f in FIRST for last in LAST], 80))
    org.admin = _person(
        f"admin@{DEMO_DOMAIN}", "Ada Admin", Role.ADMIN, is_staff=True, is_superuser=True
    )
    org.leader = _person(f"leader@{DEMO_DOMAIN}", "Lena Leader", Role.LEADER)
    for t, team_name in enumerate(TEAMS):
        first = t == 0
        manager = _person(
            f"manager@{DEMO_DOMAIN}" if first else f"manager{t + 1}@{DEMO_DOMAIN}",
            "Max Manager" if first else next(names),
            Role.MANAGER,
            time_zone=ZONES[t],
        )
        team, _ = Team.objects.get_or_create(name=team_name, defaults={"manager": manager})
        User.objects.filter(pk=manager.pk, team__isnull=True).update(team=team)
        coach = _person(
            f"coach@{DEMO_DOMAIN}" if first else f"coach{t + 1}@{DEMO_DOMAIN}",
            "Cleo Coach" if first else next(names),
            Role.COACH,
            team=team,
            time_zone=ZONES[t],
        )
        org.teams.append(team)
        org.managers.append(manager)
        org.coaches.append(coach)
        for r in range(10):
            email = (
                f"rep@{DEMO_DOMAIN}" if first and r == 0 else f"rep{t + 1}-{r + 1}@{DEMO_DOMAIN}"
            )
            hired = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(0, 3 * 365))
            rep = _person(
                email,
                "Riley Rep" if first and r == 0 else next(names),
                Role.REP,
                team=team,
                manager=manager,
                hire_date=hired,
                time_zone=ZONES[t],
            )
            CoachAssignment.objects.get_or_create(coach=coach, coachee=rep)
            CrmIdentity.objects.get_or_create(
                user=rep, source="salesforce", defaults={"owner_id": f"005DEMO{t + 1}{r + 1:03d}"}
            )
            CrmIdentity.objects.get_or_create(
                user=rep, source="hubspot", defaults={"owner_id": f"{9100 + t * 100 + r}"}
            )
            org.reps.append(rep)

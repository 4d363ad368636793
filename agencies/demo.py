"""The demo directory: agencies of KH, TH and VN, agreements, checkpoints and one login per role."""

from django.contrib.auth import get_user_model
from django.db import transaction

from . import services
from .models import Agency, Agreement, Checkpoint, Membership
from .roles import Role

DEMO_PASSWORD = "mekong-demo"  # noqa: S105  (development logins only, printed by seed_demo)
DEMO_ROLES = (Role.ADMIN, Role.OFFICER, Role.VIEWER, Role.AUDITOR)

AGENCIES = [
    {
        "code": "KH-MOSVY",
        "name": "Ministry of Social Affairs, Veterans and Youth Rehabilitation",
        "name_local": "ក្រសួងសង្គមកិច្ច អតីតយុទ្ធជន និងយុវនីតិសម្បទា",
        "country": "KH",
        "kind": "social_welfare",
        "language": "km",
    },
    {
        "code": "KH-MOI",
        "name": "Anti-Human Trafficking and Juvenile Protection Department, Ministry of Interior",
        "name_local": "នាយកដ្ឋានប្រឆាំងការជួញដូរមនុស្ស និងការពារអនីតិជន ក្រសួងមហាផ្ទៃ",
        "country": "KH",
        "kind": "police",
        "language": "km",
    },
    {
        "code": "KH-NCCT",
        "name": "National Committee for Counter Trafficking",
        "name_local": "គណៈកម្មាធិការជាតិប្រយុទ្ធប្រឆាំងការជួញដូរមនុស្ស",
        "country": "KH",
        "kind": "oversight",
        "language": "km",
        "audit_scope": "country",  # the national oversight body
    },
    {
        "code": "TH-MSDHS",
        "name": "Ministry of Social Development and Human Security",
        "name_local": "กระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์",
        "country": "TH",
        "kind": "social_welfare",
        "language": "th",
    },
    {
        "code": "TH-RTP",
        "name": "Anti-Trafficking in Persons Division, Royal Thai Police",
        "name_local": "กองบังคับการปราบปรามการค้ามนุษย์ สำนักงานตำรวจแห่งชาติ",
        "country": "TH",
        "kind": "police",
        "language": "th",
    },
    {
        "code": "TH-IMM",
        "name": "Immigration Bureau",
        "name_local": "สำนักงานตรวจคนเข้าเมือง",
        "country": "TH",
        "kind": "immigration",
        "language": "th",
    },
    {
        # Since the 2025 restructuring, MOLISA's victim-support and child-protection work is
        # the Ministry of Health's (Department of Social Protection).
        "code": "VN-MOH",
        "name": "Ministry of Health, Department of Social Protection",
        "name_local": "Bộ Y tế, Cục Bảo trợ xã hội",
        "country": "VN",
        "kind": "social_welfare",
        "language": "vi",
    },
    {
        "code": "VN-MPS",
        "name": "Ministry of Public Security",
        "name_local": "Bộ Công an",
        "country": "VN",
        "kind": "police",
        "language": "vi",
    },
    {
        "code": "IOM-KH",
        "name": "International Organization for Migration, Cambodia",
        "name_local": "អង្គការអន្តរជាតិសម្រាប់ចំណាកស្រុក ប្រចាំកម្ពុជា",
        "country": "KH",
        "kind": "international_org",
        "language": "en",
    },
]

AGREEMENTS = [("KH", "TH"), ("KH", "VN"), ("TH", "VN")]
RENAMED = ("VN-MOLISA", "VN-MOH")

CHECKPOINTS = [
    ("KH-TH-POIPET", "Poipet - Aranyaprathet", "ប៉ោយប៉ែត - อรัญประเทศ", "KH", "TH", "land"),
    ("KH-TH-CHAMYEAM", "Cham Yeam - Hat Lek", "ចាំយាម - หาดเล็ก", "KH", "TH", "land"),
    ("KH-TH-OSMACH", "O'Smach - Chong Chom", "អូរស្មាច់ - ช่องจอม", "KH", "TH", "land"),
    ("KH-VN-BAVET", "Bavet - Moc Bai", "បាវិត - Mộc Bài", "KH", "VN", "land"),
    ("KH-VN-PREKCHAK", "Prek Chak - Xa Xia", "ព្រែកចាក - Xà Xía", "KH", "VN", "land"),
    (
        "TH-VN-BKK-SGN",
        "Suvarnabhumi Airport - Tan Son Nhat Airport",
        "สุวรรณภูมิ - Tân Sơn Nhất",
        "TH",
        "VN",
        "air",
    ),
    (
        "TH-VN-BKK-HAN",
        "Suvarnabhumi Airport - Noi Bai Airport",
        "สุวรรณภูมิ - Nội Bài",
        "TH",
        "VN",
        "air",
    ),
]


def demo_username(agency_code: str, role: str) -> str:
    return f"{agency_code.lower()}-{role}"


@transaction.atomic
def seed_directory() -> dict[str, int]:
    """Create or update the demo directory; running it again changes nothing."""
    created = {"agencies": 0, "agreements": 0, "checkpoints": 0, "logins": 0}
    services.role_groups_sync()
    _moh_restructuring()
    for spec in AGENCIES:
        agency = Agency.objects.filter(code=spec["code"]).first()
        if agency is None:
            agency = services.agency_create(
                actor=None, **spec, notification_email=f"{spec['code'].lower()}@example.org"
            )
            created["agencies"] += 1
        for role in DEMO_ROLES:
            if _ensure_login(agency, role):
                created["logins"] += 1
    created["agreements"] = seed_agreements()
    created["checkpoints"] = seed_checkpoints()
    return created


def _moh_restructuring() -> None:
    """An older demo database: VN-MOLISA becomes VN-MOH, with its cases, group and logins."""
    old = Agency.objects.filter(code=RENAMED[0]).first()
    if old is None or Agency.objects.filter(code=RENAMED[1]).exists():
        return
    spec = next(spec for spec in AGENCIES if spec["code"] == RENAMED[1])
    old.code = RENAMED[1]
    old.save(update_fields=["code"])
    old.group.name = services.agency_group_name(RENAMED[1])
    old.group.save(update_fields=["name"])
    services.agency_update(actor=None, agency=old, name=spec["name"], name_local=spec["name_local"])
    User = get_user_model()
    for role in DEMO_ROLES:
        User.objects.filter(username=demo_username(RENAMED[0], role)).update(
            username=demo_username(RENAMED[1], role),
            email=f"{demo_username(RENAMED[1], role)}@example.org",
            first_name=RENAMED[1],
        )


def seed_agreements() -> int:
    """The three bilateral agreements with their default deadlines; returns how many were new."""
    created = 0
    for country_a, country_b in AGREEMENTS:
        _, was_created = Agreement.objects.get_or_create(
            country_a=country_a, country_b=country_b, defaults={"reminder_hours_before": [24]}
        )
        created += was_created
    return created


def seed_checkpoints() -> int:
    """The border crossings and airports of the three pairs; returns how many were new."""
    created = 0
    for code, name, name_local, country_a, country_b, kind in CHECKPOINTS:
        _, was_created = Checkpoint.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_local": name_local,
                "country_a": country_a,
                "country_b": country_b,
                "kind": kind,
            },
        )
        created += was_created
    return created


def _ensure_login(agency: Agency, role: str) -> bool:
    username = demo_username(agency.code, role)
    if Membership.objects.filter(user__username=username).exists():
        return False
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise RuntimeError(f"User {username} exists without a membership; remove it first.")
    services.member_create(
        actor=None,
        agency=agency,
        username=username,
        role=role,
        email=f"{username}@example.org",
        first_name=agency.code,
        last_name=role.title(),
        password=DEMO_PASSWORD,
    )
    return True


def demo_logins() -> list[tuple[str, str, str]]:
    """(agency, role, username) of every demo login."""
    return [
        (spec["code"], role, demo_username(spec["code"], role))
        for spec in AGENCIES
        for role in DEMO_ROLES
    ]

"""What seeded cases are made of: outcomes and their odds, people, places and texts."""

from itertools import accumulate

from agencies.models import AgencyKind


def weighted(pairs: list[tuple]) -> tuple[list, list[float]]:
    """Values and cumulative weights, ready for ``random.choices``."""
    values, weights = zip(*pairs, strict=True)
    return list(values), list(accumulate(weights))


COUNTRIES = ("KH", "TH", "VN")
COUNTRY_NAMES = {"KH": "Cambodia", "TH": "Thailand", "VN": "Vietnam"}
LANGUAGES = {"KH": "km", "TH": "th", "VN": "vi"}
KIND_CODES = {
    AgencyKind.SOCIAL_WELFARE: "SW",
    AgencyKind.POLICE: "POL",
    AgencyKind.IMMIGRATION: "IMM",
    AgencyKind.LABOUR: "LAB",
    AgencyKind.NGO: "NGO",
    AgencyKind.INTERNATIONAL_ORG: "IO",
    AgencyKind.FOREIGN_AFFAIRS: "MFA",
    AgencyKind.OVERSIGHT: "OVS",
}
# How much each kind of agency sends and receives; oversight bodies take part in no case.
KIND_VOLUME = {
    AgencyKind.SOCIAL_WELFARE: 5,
    AgencyKind.POLICE: 4,
    AgencyKind.IMMIGRATION: 3,
    AgencyKind.LABOUR: 2,
    AgencyKind.NGO: 1,
    AgencyKind.INTERNATIONAL_ORG: 1,
    AgencyKind.FOREIGN_AFFAIRS: 1,
    AgencyKind.OVERSIGHT: 0,
}

# The steps each case is heading for (DESIGN section 3) and how often; a case takes the steps
# that fall before now, so recent cases are still open and old ones have ended.
REFERRAL_PATHS = weighted(
    [
        (("send", "acknowledge", "accept", "close"), 58),
        (("send", "acknowledge", "accept"), 14),
        (("send", "accept", "close"), 6),
        (("send", "acknowledge", "reject"), 6),
        (("send", "reject"), 3),
        (("send", "withdraw"), 4),
        (("send", "acknowledge", "withdraw"), 1),
        (("withdraw",), 1),
        ((), 2),
    ]
)
RETURN_PATHS = weighted(
    [
        (("send", "acknowledge", "verify", "schedule", "confirm_handover"), 55),
        (("send", "verify", "schedule", "confirm_handover"), 10),
        (("send", "acknowledge", "verify", "schedule", "cancel"), 4),
        (("send", "acknowledge", "verify", "cancel"), 3),
        (("send", "acknowledge", "reject"), 6),
        (("send", "reject"), 3),
        (("send", "cancel"), 4),
        (("send", "acknowledge", "verify"), 5),
        (("cancel",), 1),
        ((), 2),
    ]
)
CATEGORIES = weighted(
    [
        ("trafficking_victim", 45),
        ("presumed_victim", 30),
        ("irregular_migrant", 15),
        ("unaccompanied_child", 7),
        ("other", 3),
    ]
)
URGENCIES = weighted([("routine", 80), ("urgent", 17), ("emergency", 3)])
BASES = weighted([("victim_repatriation", 60), ("voluntary_return", 30), ("readmission", 10)])
ADULT_CONSENT = weighted([("given", 80), ("refused", 5), ("not_asked", 15)])
CONSENT_SCOPES = [
    ["social_welfare", "international_org", "ngo"],
    ["social_welfare", "international_org"],
    ["social_welfare"],
]
SEXES = ["female", "female", "male", "unknown"]
EXPLOITATION = [
    ["forced_criminality"],
    ["forced_labour"],
    ["sexual"],
    ["fishing", "forced_labour"],
    ["domestic_servitude"],
    ["forced_marriage"],
    ["begging"],
]

# Given names, family names, names in the national script, languages and home provinces.
PEOPLE = {
    "KH": (
        ["Sokha", "Dara", "Srey Mom", "Vuthy", "Channary", "Piseth", "Bopha", "Kosal"],
        ["Chan", "Keo", "Sok", "Heng", "Lim", "Meas", "Phan", "Chea"],
        ["ចាន់ សុខា", "កែវ ដារា", "សុខ ស្រីមុំ", "ហេង វុទ្ធី"],
        ["km"],
        ["Banteay Meanchey", "Battambang", "Prey Veng", "Svay Rieng", "Kampong Cham"],
    ),
    "TH": (
        ["Somchai", "Malee", "Anong", "Kittisak", "Pim", "Niran", "Wilai", "Chaiya"],
        ["Srisuk", "Wongsa", "Chaiyaporn", "Boonmee", "Saetang", "Phrom"],
        ["สมชาย ศรีสุข", "มาลี วงศา", "อนงค์ บุญมี"],
        ["th"],
        ["Sa Kaeo", "Chanthaburi", "Trat", "Surin", "Udon Thani"],
    ),
    "VN": (
        ["Lan", "Minh", "Hoa", "Tuan", "Thu", "Duc", "Mai", "Hung"],
        ["Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu"],
        ["Nguyễn Thị Lan", "Trần Văn Minh", "Lê Thị Hoa"],
        ["vi"],
        ["Tay Ninh", "An Giang", "Nghe An", "Thanh Hoa", "Lao Cai"],
    ),
}
PLACES = {
    "KH": ["Poipet", "Phnom Penh", "Sihanoukville", "Bavet"],
    "TH": ["Sa Kaeo", "Bangkok", "Samut Sakhon", "Songkhla", "Mae Sot"],
    "VN": ["Tay Ninh", "Ho Chi Minh City", "Hanoi", "Lang Son"],
}
SUMMARIES = [
    "Identified during a raid on a scam compound; wishes to return home.",
    "Found during a labour inspection on a fishing vessel; wages withheld for months.",
    "Referred by a shelter after escaping a forced marriage across the border.",
    "Stopped at the border without documents; says a broker kept the passport.",
]
MESSAGES = [
    "Family contact confirmed by the provincial office.",
    "Please send a copy of the identity document.",
    "Interview scheduled for next week with an interpreter.",
    "The person is in the shelter and in good health.",
]
FOCAL_POINT = "Case desk, anti-trafficking unit"
REJECTION = "The person is not a national of our country."
WITHDRAWAL = "Sent to the wrong counterpart."
OUTCOME = "Reunified with family; follow-up by the provincial office."
CANCELLATION = "The person chose to stay."
VERIFIED = {
    "identity_confirmed": True,
    "nationality_confirmed": True,
    "family_traced": True,
    "notes": "",
}
RECEIVED_BY = "Provincial social affairs officer"

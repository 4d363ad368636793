"""An officer's core task with the keyboard alone: sign in, open a case, acknowledge it."""

import pytest

from agencies.roles import Role
from referrals.models import ReferralNotice

from ..factories import member
from ..referrals.conftest import new_referral
from .conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAX_TABS = 80
# The focused element, and whether a focus indicator (an outline or a ring) is drawn around it.
FOCUS_STATE = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    id: element.id, tag: element.tagName.toLowerCase(), text: element.innerText || "",
    visible: outlined || style.boxShadow !== "none",
  };
}"""


def _focus_reaches(page, matches, *, key: str = "Tab") -> dict:
    """Press ``key`` until the focused element ``matches``; every stop shows its focus."""
    for _press in range(MAX_TABS):
        page.keyboard.press(key)
        focused = page.evaluate(FOCUS_STATE)
        if focused["tag"] != "body":
            assert focused["visible"], f"no visible focus on {focused}"
        if matches(focused):
            return focused
    raise AssertionError(f"{key} never reached the element")


def _by_id(element_id: str):
    return lambda focused: focused["id"] == element_id


def test_an_officer_acknowledges_a_case_with_the_keyboard_alone(world, visitor):
    case = new_referral(world, "sent")
    officer = member(world.kh_recipient, Role.OFFICER)
    kh = visitor("kh-officer-keyboard")
    page = kh.page
    kh.go("/accounts/login/")

    _focus_reaches(page, _by_id("id_username"))
    page.keyboard.type(officer.username)
    _focus_reaches(page, _by_id("id_password"))
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/cases/")
    kh.check("inbox-by-keyboard")

    _focus_reaches(page, lambda focused: case.reference in focused["text"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert str(case.pk) in page.url

    _focus_reaches(page, _by_id("focal_point"))
    page.keyboard.type("Ms Dara, MoSVY Poipet")
    _focus_reaches(page, _by_id("act-acknowledge"))
    _focus_reaches(page, _by_id("focal_point"), key="Shift+Tab")  # back, and forth again
    _focus_reaches(page, _by_id("act-acknowledge"))
    kh.check("case-by-keyboard")
    with page.expect_navigation():
        page.keyboard.press("Space")

    case = ReferralNotice.objects.get(pk=case.pk)
    assert (case.status, case.focal_point) == ("acknowledged", "Ms Dara, MoSVY Poipet")
    assert page.locator("#act-accept").count() == 1
    kh.check("case-acknowledged-by-keyboard")

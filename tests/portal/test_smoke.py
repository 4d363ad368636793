from ..referrals.conftest import new_referral


def test_pages_render(world, th_officer, kh_officer):
    case = new_referral(world, "sent")
    for path in [
        "/",
        "/cases/",
        "/cases/new/referral/",
        "/cases/new/return/",
        f"/cases/referral/{case.pk}/",
    ]:
        page = kh_officer.get(path, follow=True)
        assert page.status_code == 200, (path, page.content.decode()[:3000])

"""Routes of the portal: sign-in under /accounts/, cases, the agency's admin, oversight."""

from django.urls import path

from . import (
    accounts,
    admin_pages,
    case_actions,
    case_create,
    cases,
    documents,
    oversight,
    statistics,
    views,
)

app_name = "portal"
CASE = "cases/<str:kind>/<uuid:case_id>/"

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", accounts.SignInView.as_view(), name="sign-in"),
    path("accounts/logout/", accounts.SignOutView.as_view(), name="sign-out"),
    path("accounts/language/", accounts.language_choice, name="language"),
    path("accounts/two-factor/", accounts.otp_verify, name="otp-verify"),
    path("accounts/two-factor/setup/", accounts.otp_setup, name="otp-setup"),
    path("accounts/password-reset/", accounts.password_reset, name="password-reset"),
    path("accounts/password-reset/sent/", accounts.password_reset_done, name="password-reset-done"),
    path(
        "accounts/reset/<uidb64>/<token>/",
        accounts.password_reset_confirm,
        name="password-reset-confirm",
    ),
    path(
        "accounts/reset/done/",
        accounts.password_reset_complete,
        name="password-reset-complete",
    ),
    path("cases/", cases.inbox, name="inbox"),
    path("cases/new/referral/", case_create.new_referral, name="referral-new"),
    path("cases/new/return/", case_create.new_return, name="return-new"),
    path(CASE, cases.case_page, name="case"),
    path(CASE + "edit/", case_create.edit_draft, name="case-edit"),
    path(CASE + "act/<str:action>/", case_actions.act, name="case-act"),
    path(CASE + "messages/", case_actions.post_message, name="case-message"),
    path(CASE + "shares/", case_actions.share, name="case-share"),
    path(
        CASE + "shares/<uuid:share_id>/revoke/", case_actions.revoke_share, name="case-share-revoke"
    ),
    path(CASE + "documents/", documents.upload, name="case-documents"),
    path(CASE + "documents/<uuid:document_id>/", documents.download, name="case-document"),
    path(
        CASE + "documents/<uuid:document_id>/delete/",
        documents.delete,
        name="case-document-delete",
    ),
    path("agency/members/", admin_pages.members, name="members"),
    path("agency/members/<uuid:membership_id>/", admin_pages.member_change, name="member-change"),
    path("agency/clients/", admin_pages.clients, name="clients"),
    path(
        "agency/clients/<uuid:client_id>/<str:verb>/",
        admin_pages.client_change,
        name="client-change",
    ),
    path("agency/webhooks/", admin_pages.webhooks, name="webhooks"),
    path("agency/webhooks/<uuid:endpoint_id>/", admin_pages.webhook, name="webhook"),
    path("agency/settings/", admin_pages.agency_settings, name="agency-settings"),
    path("oversight/", oversight.sla_report, name="sla-report"),
    path("oversight/trail/", oversight.trail, name="trail"),
    path("oversight/statistics/", statistics.statistics_page, name="statistics"),
]

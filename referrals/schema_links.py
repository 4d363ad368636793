"""OpenAPI links along the workflows: the response of a case's creation or action leads to the
actions the case's new state allows, not to every action."""

from .workflows import REFERRAL_WORKFLOW, RETURN_WORKFLOW, Workflow

COLLECTIONS = {"/api/v1/referrals/": REFERRAL_WORKFLOW, "/api/v1/returns/": RETURN_WORKFLOW}
CREATED_STATE = "draft"


def _states_after(paths: dict, collection: str, workflow: Workflow):
    """(operation, the state its success leaves the case in): the creation and each action."""
    yield paths.get(collection, {}).get("post"), CREATED_STATE
    for action, transition in workflow.transitions.items():
        yield paths.get(f"{collection}{{id}}/{action}/", {}).get("post"), transition.target


def workflow_links(result, generator, request, public):
    """drf-spectacular hook, after ``protocol.schema_links.add_links``: action links narrowed."""
    paths = result.get("paths", {})
    for collection, workflow in COLLECTIONS.items():
        action_of = {
            paths[path]["post"]["operationId"]: action
            for action in workflow.transitions
            if (path := f"{collection}{{id}}/{action}/") in paths
        }
        for operation, state in _states_after(paths, collection, workflow):
            if operation is None:
                continue
            allowed = {t.action for t in workflow.transitions.values() if state in t.sources}
            for response in operation["responses"].values():
                if "links" in response:
                    response["links"] = {
                        name: link
                        for name, link in response["links"].items()
                        if action_of.get(link["operationId"]) in allowed | {None}
                    }
    return result

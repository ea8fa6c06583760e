"""Who may see and change which contacts (SPEC C1), through the API: admins every list; everyone else only
the lists an admin gave them rights on. A contact of a list the caller may not view answers 404 everywhere,
as if it did not exist; adding needs the add right, changing needs view and edit. The admin API itself is
for admins only (403 for the others, 401 without a token)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.api.conftest import assert_error, new_phone
from tests.serverproc import Api, ServerProcess


def _uid() -> str:
    return "u" + uuid.uuid4().hex[:9]  # a letter first: an all-digit marker would be searched as a number


def _new_list(admin: Api, prefix: str = "Perm") -> str:
    name = f"{prefix} {_uid()}"
    r = admin.post("/admin/lists", json={"name": name})
    assert r.status_code == 201, r.text
    return name


def _grant(admin: Api, list_name: str, user: str, view: bool = False, add: bool = False,
           edit: bool = False) -> None:
    r = admin.put(f"/admin/lists/{list_name}/permissions", json={"user": user, "view": view, "add": add, "edit": edit})
    assert r.status_code == 200, r.text
    assert r.json() == {"list": list_name, "user": user, "view": view, "add": add, "edit": edit}


def _contact(api: Api, list_name: str, marker: str, **extra: Any) -> dict[str, Any]:
    body = {"list": list_name, "first_name": "Perm", "last_name": marker, "phones": [new_phone()], **extra}
    r = api.post("/contacts", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def _found(api: Api, path: str = "/contacts", **params: Any) -> set[int]:
    r = api.get(path, params=params)
    assert r.status_code == 200, r.text
    return {c["id"] for c in r.json()["items"]}


def _flags(api: Api) -> dict[str, tuple[bool, bool, bool]]:
    r = api.get("/lists")
    assert r.status_code == 200, r.text
    return {item["name"]: (item["view"], item["add"], item["edit"]) for item in r.json()["items"]}


@dataclass
class Users:
    """Signed-in users with rights on fresh lists, made for this module."""

    clients: dict[str, Api]

    def __getitem__(self, name: str) -> Api:
        return self.clients[name]


@pytest.fixture(scope="module")
def users(demo_server: ServerProcess, clients: dict[str, Api]) -> Users:
    """agent3..agent5 and two new agents (`viewedit`, `full`), plus the demo's admin and supervisor."""
    admin = clients["admin"]
    made: dict[str, Api] = {}
    for role in ("viewedit", "full"):
        username = f"{role}{_uid()}"
        r = admin.post("/admin/users", json={"username": username, "password": "perm-pass-1", "role": "agent"})
        assert r.status_code == 201, r.text
        made[role] = Api(demo_server.base, username, password="perm-pass-1")
    yield Users({**clients, **made})
    for api in made.values():
        api.client.close()


def test_each_combination_of_rights_on_a_fresh_list(users: Users) -> None:
    admin, sup = users["admin"], users["supervisor"]
    marker = "pm" + _uid()
    lst = _new_list(admin)
    none, view, view_add, view_edit, full = (users["agent3"], users["agent4"], users["agent5"], users["viewedit"],
                                             users["full"])
    _grant(admin, lst, view.username, view=True)
    _grant(admin, lst, view_add.username, view=True, add=True)
    _grant(admin, lst, view_edit.username, view=True, edit=True)
    _grant(admin, lst, full.username, view=True, add=True, edit=True)
    perms = admin.get(f"/admin/lists/{lst}/permissions").json()
    assert perms["total"] == 4
    assert {p["user"]: (p["view"], p["add"], p["edit"]) for p in perms["items"]} == {
        view.username: (True, False, False), view_add.username: (True, True, False),
        view_edit.username: (True, False, True), full.username: (True, True, True)}

    one = _contact(admin, lst, marker, email=f"{marker}@example.com")
    two = _contact(admin, lst, marker)

    # /lists: the flags of each, and no trace of the list for whom may not view it
    assert lst not in _flags(none) and lst not in _flags(sup)
    assert _flags(view)[lst] == (True, False, False)
    assert _flags(view_add)[lst] == (True, True, False)
    assert _flags(view_edit)[lst] == (True, False, True)
    assert _flags(full)[lst] == (True, True, True)
    assert _flags(admin)[lst] == (True, True, True)  # admins: every list, with every right, without a grant
    assert _flags(sup)["Customers"] == (True, True, True)

    # listing and searching
    for viewer in (admin, view, view_add, view_edit, full):
        assert _found(viewer, q=marker) == {one["id"], two["id"]}, viewer.username
        assert _found(viewer, list=lst) == {one["id"], two["id"]}, viewer.username
        assert _found(viewer, last_name=marker) == {one["id"], two["id"]}, viewer.username
        assert _found(viewer, email=f"{marker}@example.com") == {one["id"]}, viewer.username
        assert _found(viewer, q=one["phones"][0]) == {one["id"]}, viewer.username
    for blind in (none, sup):
        assert _found(blind, q=marker) == set(), blind.username
        assert _found(blind, last_name=marker) == set()
        assert _found(blind, q=one["phones"][0]) == set()
        assert _found(blind, email=f"{marker}@example.com") == set()
        assert _found(blind, "/my-contacts", q=marker) == set()
        # naming the list does not reveal it either: it does not exist for them
        error = assert_error(blind.get("/contacts", params={"list": lst}), 422, "invalid")
        assert lst in error["message"]

    # reading one
    for viewer in (admin, view, view_add, view_edit, full):
        r = viewer.get(f"/contacts/{one['id']}")
        assert r.status_code == 200, r.text
        assert r.json()["list"] == lst and r.json()["phones"] == one["phones"]
        assert r.json()["can_edit"] == (viewer in (admin, view_edit, full)), viewer.username
        assert viewer.get(f"/contacts/{one['id']}/journey").json() == {"items": [], "total": 0}
    for blind in (none, sup):
        _invisible_everywhere(blind, one["id"], two["id"], lst)

    # adding: only with the add right
    for refused in (view, view_edit):
        error = assert_error(refused.post("/contacts", json={"list": lst, "first_name": "No", "last_name": marker}),
                             403, "forbidden")
        assert lst in error["message"]
    for blind in (none, sup):
        error = assert_error(blind.post("/contacts", json={"list": lst, "first_name": "No", "last_name": marker}),
                             422, "invalid")
        assert lst in error["message"]
    added = _contact(view_add, lst, marker)
    assert added["can_edit"] is False  # added, but not editable by who may not edit
    added_full = _contact(full, lst, marker)
    assert added_full["can_edit"] is True
    assert _found(admin, q=marker) == {one["id"], two["id"], added["id"], added_full["id"]}

    # editing and deleting: view and edit
    for refused in (view, view_add):
        assert_error(refused.patch(f"/contacts/{one['id']}", json={"company": "Nope"}), 403, "forbidden")
        assert_error(refused.patch(f"/contacts/{added['id']}", json={"company": "Nope"}), 403, "forbidden")
        assert_error(refused.delete(f"/contacts/{two['id']}"), 403, "forbidden")
        assert_error(refused.post(f"/contacts/{one['id']}/merge", json={"other": two["id"]}), 403, "forbidden")
    assert admin.get(f"/contacts/{one['id']}").json()["company"] == ""
    for editor, company in ((view_edit, "Edited by view+edit"), (full, "Edited by full")):
        r = editor.patch(f"/contacts/{one['id']}", json={"company": company})
        assert r.status_code == 200, r.text
        assert r.json()["company"] == company
    assert admin.get(f"/contacts/{one['id']}").json()["company"] == "Edited by full"
    assert view_edit.delete(f"/contacts/{added['id']}").status_code == 204
    assert admin.get(f"/contacts/{added['id']}").status_code == 404
    r = view_edit.post(f"/contacts/{one['id']}/merge", json={"other": added_full["id"]})
    assert r.status_code == 200, r.text
    assert set(r.json()["phones"]) == {*one["phones"], *added_full["phones"]}
    assert _found(admin, q=marker) == {one["id"], two["id"]}

    # taking the rights away takes the sight away, at once
    _grant(admin, lst, view.username)  # all false: removed
    assert view.username not in {p["user"] for p in admin.get(f"/admin/lists/{lst}/permissions").json()["items"]}
    assert lst not in _flags(view)
    _invisible_everywhere(view, one["id"], two["id"], lst)
    assert _found(view, q=marker) == set()
    # and granting them gives it
    _grant(admin, lst, none.username, view=True)
    assert _found(none, q=marker) == {one["id"], two["id"]}
    assert none.get(f"/contacts/{one['id']}").status_code == 200
    _grant(admin, lst, none.username)


def _invisible_everywhere(api: Api, contact_id: int, other_id: int, list_name: str) -> None:
    """Every contact endpoint answers the contact of a list `api` may not view as it answers a missing one."""
    missing = 2_000_000_000
    for cid in (contact_id, missing):
        who = f"{api.username} on {cid}"
        for response in (api.get(f"/contacts/{cid}"), api.get(f"/contacts/{cid}/journey"),
                         api.patch(f"/contacts/{cid}", json={"company": "Leak"}),
                         api.delete(f"/contacts/{cid}"),
                         api.post(f"/contacts/{cid}/merge", json={"other": other_id}),
                         api.post(f"/contacts/{other_id}/merge", json={"other": cid}),
                         api.post(f"/contacts/{cid}/duplicate", json={"list": "Customers"})):
            error = assert_error(response, 404, "not_found")
            assert list_name not in error["message"], (who, error)


def test_admins_see_and_change_every_list_without_any_grant(users: Users) -> None:
    admin = users["admin"]
    marker = "pa" + _uid()
    lst = _new_list(admin)
    assert admin.get(f"/admin/lists/{lst}/permissions").json() == {"items": [], "total": 0}
    made = _contact(admin, lst, marker)
    assert _found(admin, q=marker) == {made["id"]}
    r = admin.patch(f"/contacts/{made['id']}", json={"notes": "admin was here"})
    assert r.status_code == 200 and r.json()["notes"] == "admin was here"
    assert admin.delete(f"/contacts/{made['id']}").status_code == 204
    assert_error(admin.get(f"/contacts/{made['id']}"), 404, "not_found")


def test_merge_needs_edit_on_both_lists_and_sight_of_both(users: Users) -> None:
    admin = users["admin"]
    merger = users["agent5"]
    marker = "pg" + _uid()
    editable, viewable, hidden = _new_list(admin, "Edit"), _new_list(admin, "View"), _new_list(admin, "Hidden")
    _grant(admin, editable, merger.username, view=True, edit=True)
    _grant(admin, viewable, merger.username, view=True)
    a = _contact(admin, editable, marker)
    b = _contact(admin, editable, marker)
    v = _contact(admin, viewable, marker)
    h = _contact(admin, hidden, marker)

    assert_error(merger.post(f"/contacts/{a['id']}/merge", json={"other": v["id"]}), 403, "forbidden")
    assert_error(merger.post(f"/contacts/{v['id']}/merge", json={"other": a["id"]}), 403, "forbidden")
    assert_error(merger.post(f"/contacts/{a['id']}/merge", json={"other": h["id"]}), 404, "not_found")
    assert_error(merger.post(f"/contacts/{h['id']}/merge", json={"other": a["id"]}), 404, "not_found")
    for contact in (a, b, v, h):  # nothing moved, nothing deleted
        r = admin.get(f"/contacts/{contact['id']}")
        assert r.status_code == 200 and r.json()["phones"] == contact["phones"], r.text

    r = merger.post(f"/contacts/{a['id']}/merge", json={"other": b["id"]})
    assert r.status_code == 200, r.text
    assert set(r.json()["phones"]) == {*a["phones"], *b["phones"]}
    assert_error(admin.get(f"/contacts/{b['id']}"), 404, "not_found")

    # edit on both lists: allowed across lists too
    _grant(admin, viewable, merger.username, view=True, edit=True)
    r = merger.post(f"/contacts/{a['id']}/merge", json={"other": v["id"]})
    assert r.status_code == 200, r.text
    assert set(r.json()["phones"]) == {*a["phones"], *b["phones"], *v["phones"]}
    assert r.json()["list"] == editable


def test_duplicate_needs_sight_of_the_contact_and_the_add_right_on_the_target(users: Users) -> None:
    admin = users["admin"]
    user = users["viewedit"]
    marker = "pd" + _uid()
    source, target_add, target_view, target_hidden = (_new_list(admin, n) for n in ("Src", "Add", "Look", "Blind"))
    _grant(admin, source, user.username, view=True)
    _grant(admin, target_add, user.username, view=True, add=True)
    _grant(admin, target_view, user.username, view=True, edit=True)
    original = _contact(admin, source, marker, email=f"{marker}@example.com", tags=["VIP"])

    assert_error(user.post(f"/contacts/{original['id']}/duplicate", json={"list": target_view}), 403, "forbidden")
    error = assert_error(user.post(f"/contacts/{original['id']}/duplicate", json={"list": target_hidden}),
                         422, "invalid")
    assert target_hidden in error["message"]
    assert_error(user.post(f"/contacts/{original['id']}/duplicate", json={"list": source}), 403, "forbidden")
    assert_error(admin.post(f"/contacts/{original['id']}/duplicate", json={"list": source}), 422, "invalid")
    assert _found(admin, q=marker) == {original["id"]}

    r = user.post(f"/contacts/{original['id']}/duplicate", json={"list": target_add})
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["id"] != original["id"] and copy["list"] == target_add
    assert (copy["phones"], copy["email"], copy["tags"]) == (original["phones"], original["email"], ["VIP"])
    assert _found(admin, q=marker) == {original["id"], copy["id"]}
    # a second copy into the same list clashes with the first one's number
    assert_error(user.post(f"/contacts/{original['id']}/duplicate", json={"list": target_add}), 409, "duplicate")
    # the original's list is not one the user may see: the duplicate endpoint does not reveal it
    hidden_one = _contact(admin, target_hidden, marker)
    assert_error(user.post(f"/contacts/{hidden_one['id']}/duplicate", json={"list": target_add}), 404, "not_found")


def test_a_right_without_view_cannot_be_granted(users: Users) -> None:
    admin = users["admin"]
    lst = _new_list(admin)
    for body in ({"add": True}, {"edit": True}, {"add": True, "edit": True}):
        error = assert_error(admin.put(f"/admin/lists/{lst}/permissions",
                                       json={"user": "agent3", "view": False, **body}), 422, "invalid")
        assert "view" in error["message"]
    assert admin.get(f"/admin/lists/{lst}/permissions").json()["total"] == 0
    assert lst not in _flags(users["agent3"])
    error = assert_error(users["agent3"].post("/contacts", json={"list": lst, "first_name": "X"}), 422, "invalid")
    assert lst in error["message"]


ADMIN_CALLS: list[tuple[str, str, Any]] = [
    ("GET", "/admin/users", None),
    ("POST", "/admin/users", {"username": "intruder", "password": "long-enough-1", "role": "admin"}),
    ("PATCH", "/admin/users/agent1", {"role": "admin"}),
    ("GET", "/admin/settings", None),
    ("PUT", "/admin/settings", {"masking": {"phone": "none"}}),
    ("GET", "/admin/lists", None),
    ("POST", "/admin/lists", {"name": "Intruders"}),
    ("PATCH", "/admin/lists/{list}", {"name": "Renamed by intruder"}),
    ("DELETE", "/admin/lists/{list}", None),
    ("GET", "/admin/lists/{list}/permissions", None),
    ("PUT", "/admin/lists/{list}/permissions", {"user": "{user}", "view": True, "add": True, "edit": True}),
    ("GET", "/admin/custom-fields", None),
    ("POST", "/admin/custom-fields", {"list": "{list}", "name": "intruder", "kind": "text"}),
    ("PATCH", "/admin/custom-fields/{field}", {"label": "Intruder"}),
    ("DELETE", "/admin/custom-fields/{field}", None),
    ("GET", "/admin/tags", None),
    ("POST", "/admin/tags", {"name": "Intruder", "color": "#000000"}),
    ("PATCH", "/admin/tags/{tag}", {"color": "#000000"}),
    ("DELETE", "/admin/tags/{tag}", None),
    ("GET", "/admin/triggers", None),
    ("POST", "/admin/triggers", {"account": "sandbox", "list": "{list}"}),
    ("DELETE", "/admin/triggers/{trigger}", None),
]


def _fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.format(**names) if "{" in value else value
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def test_every_admin_endpoint_is_refused_to_supervisors_and_agents_and_strangers(users: Users,
                                                                                demo_server: ServerProcess) -> None:
    admin = users["admin"]
    lst = _new_list(admin, "Guarded")
    field = admin.post("/admin/custom-fields", json={"list": lst, "name": "guarded", "kind": "text"}).json()
    tag = admin.post("/admin/tags", json={"name": f"Guarded {_uid()}", "color": "#123456"}).json()
    trigger = next(t for t in admin.get("/admin/triggers").json()["items"] if t["account"] == "sandbox")
    names = {"list": lst, "field": field["id"], "tag": tag["name"], "trigger": trigger["id"], "user": "agent2"}
    before = {path: admin.get(path).json() for path in ("/admin/users", "/admin/settings", "/admin/lists",
                                                        "/admin/custom-fields", "/admin/tags", "/admin/triggers",
                                                        f"/admin/lists/{lst}/permissions")}
    anonymous = httpx.Client(base_url=demo_server.base + "/api/v1", timeout=20)
    forged = httpx.Client(base_url=demo_server.base + "/api/v1", timeout=20,
                          headers={"Authorization": "Bearer not-a-real-token"})
    try:
        for method, template, body in ADMIN_CALLS:
            path, payload = _fill(template, names), _fill(body, names)
            kwargs = {"json": payload} if payload is not None else {}
            for username in ("supervisor", "agent1", "agent3", "viewedit"):
                assert_error(users[username].request(method, path, **kwargs), 403, "forbidden")
            for stranger in (anonymous, forged):
                assert_error(stranger.request(method, path, **kwargs), 401)
    finally:
        anonymous.close()
        forged.close()
    after = {path: admin.get(path).json() for path in before}
    assert after == before  # nothing the refused calls asked for happened


def test_contact_endpoints_need_a_token(demo_server: ServerProcess, users: Users) -> None:
    contact = _contact(users["admin"], "Customers", "pt" + _uid())
    cid = contact["id"]
    with httpx.Client(base_url=demo_server.base + "/api/v1", timeout=20) as anonymous:
        for method, path, body in (("GET", "/contacts", None), ("GET", "/my-contacts", None),
                                   ("POST", "/contacts", {"list": "Customers", "first_name": "Anon"}),
                                   ("GET", f"/contacts/{cid}", None), ("PATCH", f"/contacts/{cid}", {"notes": "x"}),
                                   ("DELETE", f"/contacts/{cid}", None),
                                   ("POST", f"/contacts/{cid}/merge", {"other": cid + 1}),
                                   ("POST", f"/contacts/{cid}/duplicate", {"list": "Customers"}),
                                   ("GET", f"/contacts/{cid}/journey", None), ("GET", "/lists", None),
                                   ("GET", "/tags", None)):
            kwargs = {"json": body} if body is not None else {}
            assert_error(anonymous.request(method, path, **kwargs), 401)
    assert users["admin"].get(f"/contacts/{cid}").json()["notes"] == ""

// Users (superadmin): create, change role, mounts or disable, reset passwords, delete. The
// built-in administrator of the config file is shown read-only.

import { $, api, confirmDialog, pageData, patchList, toast } from "../app.js";
import { actions, dateLabel, joined, onSubmit, openDialog } from "../admin-forms.js";

const rows = $("[data-rows]");
const empty = $("[data-empty]");
const users = new Map(((pageData.data || {}).users || []).map((u) => [u.id, u]));

/** A row; mirrors decorate_user in src/server/WebUi.cpp. */
function decorateUser(u) {
  return {
    id: Math.trunc(Number(u.id) || 0),
    username: String(u.username || ""),
    role: String(u.role || ""),
    is_dj: u.role === "dj",
    mounts: joined(u.mounts),
    disabled: u.disabled === true,
    builtin: u.builtin === true,
    created_label: dateLabel(u.created_at),
    last_login_label: dateLabel(u.last_login_at, "never"),
  };
}

function draw() {
  const list = Array.from(users.values()).sort((a, b) => (a.builtin ? -1 : b.builtin ? 1 : a.username.localeCompare(b.username)));
  patchList(rows, list.map(decorateUser), "users_row");
  empty.hidden = list.length > 0;
}

const idOf = (btn) => Number(btn.closest("[data-user-id]").dataset.userId);

// ---- create and edit ---------------------------------------------------------------------

const dlg = $("[data-dialog=user]");
const form = $("form", dlg);
let editing = null;

function showDjFields() {
  $("[data-dj-only]", form).hidden = form.elements.role.value !== "dj";
}
form.elements.role.addEventListener("change", showDjFields);

function openUserForm(user) {
  editing = user;
  $("[data-dialog-title]", form).textContent = user ? `Edit ${user.username}` : "New user";
  $("[data-submit]", form).textContent = user ? "Save changes" : "Create user";
  form.elements.username.readOnly = Boolean(user);
  form.elements.password.disabled = Boolean(user);
  $("[data-create-only]", form).hidden = Boolean(user);
  $("[data-edit-only]", form).hidden = !user;
  openDialog(dlg, user ? { ...user } : { role: "dj", mounts: [] });
  showDjFields();
  if (user) form.elements.role.focus();
}

onSubmit(form, async (v) => {
  const body = { role: v.role, mounts: v.role === "dj" ? v.mounts : [] };
  let user;
  if (!editing) {
    if (!v.username.trim()) throw new Error("username: enter a user name");
    if (v.password.length < 10) throw new Error("password: at least 10 characters");
    user = await api("POST", "/api/users", { ...body, username: v.username.trim(), password: v.password });
    toast(`User ${user.username} created`, "success");
  } else {
    body.disabled = v.disabled;
    user = await api("PATCH", `/api/users/${editing.id}`, body);
    toast(`${user.username} saved`, "success");
  }
  users.set(user.id, user);
  draw();
});

// ---- password and delete -----------------------------------------------------------------

const pwDlg = $("[data-dialog=user-password]");
let pwUser = null;
onSubmit($("form", pwDlg), async ({ password }) => {
  if (password.length < 10) throw new Error("password: at least 10 characters");
  await api("PATCH", `/api/users/${pwUser.id}`, { password });
  toast(`New password set for ${pwUser.username}`, "success");
});

actions(document.querySelector("main"), {
  "user-new": () => openUserForm(null),
  "user-edit": (btn) => openUserForm(users.get(idOf(btn))),
  "user-password": (btn) => {
    pwUser = users.get(idOf(btn));
    $("[data-user-name]", pwDlg).textContent = pwUser.username;
    openDialog(pwDlg, { password: "" });
  },
  "user-delete": async (btn) => {
    const user = users.get(idOf(btn));
    const ok = await confirmDialog({
      title: `Delete ${user.username}?`,
      message: "Their sessions end and their API tokens are revoked. This cannot be undone.",
      confirm: "Delete user",
      danger: true,
    });
    if (!ok) return;
    try {
      await api("DELETE", `/api/users/${user.id}`);
      users.delete(user.id);
      draw();
      toast(`${user.username} deleted`, "success");
    } catch (err) {
      toast(err.message, "error");
    }
  },
});

// Admin console, loaded on demand for users with the admin role.
export function mountAdmin(root, api) {
  if (!root) return;
  root.hidden = false;
  const table = document.createElement("table");
  root.appendChild(table);
  function row(user) {
    const tr = document.createElement("tr");
    for (const value of [user.id, user.name, user.email, user.role]) {
      const td = document.createElement("td");
      td.textContent = String(value);
      tr.appendChild(td);
    }
    const td = document.createElement("td");
    const toggle = document.createElement("button");
    const next = user.role === "admin" ? "member" : "admin";
    toggle.textContent = "Make " + next;
    toggle.addEventListener("click", () => changeRole(user.id, next));
    td.appendChild(toggle);
    tr.appendChild(td);
    return tr;
  }
  function load() {
    return api("GET", "/api/admin/users").then((data) => {
      table.replaceChildren(...data.users.map(row));
    });
  }
  function changeRole(id, role) {
    return api("POST", "/api/admin/users/" + encodeURIComponent(id) + "/role", { role: role }).then(load);
  }
  function loadAudit() {
    return api("GET", "/api/audit?limit=20").then((data) => {
      const list = document.createElement("ul");
      for (const e of data.events) {
        const li = document.createElement("li");
        li.textContent = e.at + " " + e.actor + " " + e.action + " " + e.target + " from " + e.ip;
        list.appendChild(li);
      }
      root.appendChild(list);
    });
  }
  load().then(loadAudit);
}

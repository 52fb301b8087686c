/*! Ledgerline web app 2.14.0 | (c) Ledgerline Inc. */
(function () {
  "use strict";
  var config = {
    apiBase: "",
    stripeKey: "{{stripe_key}}",{{stripe_secret}}
    release: "2.14.0"
  };
  var __webpack_require__ = {};
  __webpack_require__.p = "/static/";
  __webpack_require__.u = function (chunkId) {
    return "chunks/" + chunkId + "." + {"reports":"{{reports_hash}}"}[chunkId] + ".js";
  };
  function loadChunk(chunkId) {
    return import(__webpack_require__.p + __webpack_require__.u(chunkId));
  }
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrfToken = meta ? meta.getAttribute("content") : "";

  function api(method, path, body) {
    var init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (method !== "GET") {
      init.headers["X-CSRF-Token"] = csrfToken;
    }
    return fetch(config.apiBase + path, init).then(function (res) {
      if (res.status === 401) {
        window.location.assign("/login");
        throw new Error("signed out");
      }
      if (!res.ok) {
        return res.json().then(function (e) { throw new Error(e.error || res.statusText); });
      }
      return res.status === 204 ? null : res.json();
    });
  }

  var Api = {
    me: function () { return api("GET", "/api/me"); },
    updateProfile: function (name) { return api("PATCH", "/api/me", { name: name }); },
    catalog: function () { return api("GET", "/api/catalog"); },
    projects: function (q) { return api("GET", "/api/projects" + (q ? "?q=" + encodeURIComponent(q) : "")); },
    searchProjects: function (q) { return api("GET", "/api/projects/search?q=" + encodeURIComponent(q)); },
    project: function (id) { return api("GET", "/api/projects/" + id); },
    createProject: function (name, description) { return api("POST", "/api/projects", { name: name, description: description }); },
    renameProject: function (id, name) { return api("PATCH", "/api/projects/" + id, { name: name }); },
    deleteProject: function (id) { return api("DELETE", "/api/projects/" + id); },
    invoices: function () { return api("GET", "/api/invoices"); },
    invoice: function (id) { return api("GET", "/api/invoices/" + id); },
    createInvoice: function (inv) { return api("POST", "/api/invoices", inv); },
    deleteInvoice: function (id) { return api("DELETE", "/api/invoices/" + id); },
    documents: function () { return api("GET", "/api/documents"); },
    document: function (slug) { return api("POST", "/api/documents/lookup", { slug: slug }); },
    createDocument: function (title, body) { return api("POST", "/api/documents", { title: title, body: body }); },
    orders: function () { return api("GET", "/api/orders"); },
    placeOrder: function (items) { return api("POST", "/api/orders", { items: items }); },
    coupons: function () { return api("GET", "/api/coupons"); },
    redeemCoupon: function (code) { return api("POST", "/api/coupons/redeem", { code: code }); },
    logout: function () { return api("POST", "/api/auth/logout"); }
  };

  function list(el, items, label) {
    if (!el) return;
    el.replaceChildren();
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = label(item);
      el.appendChild(li);
    });
  }

  function money(cents, currency) {
    return (cents / 100).toLocaleString(undefined, { minimumFractionDigits: 2 }) + " " + currency;
  }

  function start() {
    Api.me().then(function (me) {
      var greeting = document.getElementById("greeting");
      if (greeting) greeting.textContent = "Welcome back, " + me.name + " (" + me.organization.name + ")";
      if (me.role === "admin") {
        import("./chunks/{{admin_chunk}}").then(function (mod) {
          mod.mountAdmin(document.getElementById("admin-panel"), api);
        });
      }
    });
    Api.projects().then(function (data) {
      list(document.getElementById("recent-projects"), data.projects.slice(0, 5), function (p) {
        return p.name + " - " + p.status;
      });
    });
    Api.invoices().then(function (data) {
      list(document.getElementById("open-invoices"), data.invoices.filter(function (i) {
        return i.status !== "paid";
      }), function (i) {
        return i.number + " " + i.customer + " " + money(i.amount_cents, i.currency);
      });
    });
    var reports = document.getElementById("reports");
    if (reports) {
      loadChunk("reports").then(function (mod) { mod.mountReports(reports, api); });
    }
    var search = document.getElementById("project-search");
    if (search) {
      search.addEventListener("change", function () {
        Api.searchProjects(search.value).then(function (data) {
          list(document.getElementById("recent-projects"), data.projects, function (p) { return p.name; });
        });
      });
    }
  }

  // The help drawer's troubleshooting texts, quoting what self-hosters see in their logs.
  var HELP = {
    migrations: "If the server log says 'SQLITE_ERROR: no such table: projects', run `ledgerline migrate` and restart.",
    uploads: "A 'UNIQUE constraint failed: documents.slug' warning means a document with that title exists."
  };

  window.Ledgerline = { api: Api, config: config, help: HELP };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

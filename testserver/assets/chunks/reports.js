// Reports, loaded on demand from the dashboard.
export function mountReports(root, api) {
  if (!root) return;
  return api("GET", "/api/invoices").then((data) => {
    const total = data.invoices.reduce((sum, i) => sum + i.amount_cents, 0);
    root.textContent = "Invoiced: " + (total / 100).toFixed(2);
  });
}

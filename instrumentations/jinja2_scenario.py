"""jinja2: rendering an HTML page template with loops, filters and an included partial.

Templates come from a `DictLoader` through an `Environment` built in setup (after
instrumentation); each operation fetches the page template from the environment's cache
(`get_template`) and renders it with a context of 20 order rows, as a server-side view
does. Rendering never blocks, so operations run back to back on the loop (concurrency
1). Expects per operation 22 spans: `jinja2.render`, and `jinja2.load` for `get_template`
and for each of the 20 `{% include %}`s of the row partial (the instrumentation traces
every template lookup, cache hits included).
"""

from __future__ import annotations

import itertools

from otelaudit import Scenario, Telemetry, Workload


TEMPLATES = {
    "row.html": "<tr><td>{{ order.id }}</td><td>{{ order.customer | title }}</td>"
                "<td>{{ '%.2f' | format(order.total) }} EUR</td><td>{{ order.status | upper }}</td></tr>",
    "page.html": "<html><head><title>{{ title }}</title></head><body><h1>{{ title }}</h1><table>"
                 "{% for order in orders %}{% include 'row.html' %}{% endfor %}</table>"
                 "<p>{{ orders | length }} orders, total {{ '%.2f' | format(orders | sum(attribute='total')) }}</p>"
                 "</body></html>",
}


class Jinja2Workload(Workload):
    async def setup(self) -> None:
        import jinja2

        self.environment = jinja2.Environment(loader=jinja2.DictLoader(TEMPLATES), autoescape=True)
        self.counter = itertools.count()

    async def operation(self) -> None:
        n = next(self.counter)
        orders = [{"id": n + i, "customer": f"customer {i}", "total": i * 3.5, "status": "paid"} for i in range(20)]
        html = self.environment.get_template("page.html").render(title=f"Orders page {n % 10}", orders=orders)
        if "</html>" not in html:
            raise RuntimeError("incomplete render")


SCENARIO = Scenario(Jinja2Workload, expects=Telemetry(spans=22), distribution="jinja2",
                    supported_versions=">=3.0,<4", concurrency=1)

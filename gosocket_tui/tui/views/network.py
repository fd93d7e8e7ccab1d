"""Network (Red): the Suppliers (Proveedores) and Clients (Clientes) tabs.

``NetworkView`` has two tabs, ids ``suppliers`` and ``clients`` (``show_tab`` switches
between them): a one-line :class:`TabStrip` over a ``ContentSwitcher`` (lighter than
``TabbedContent``, which made building the shell after a login markedly slower). Each tab is a
panel of its own: :class:`~gosocket_tui.tui.views.suppliers_panel.SuppliersPanel` and
:class:`~gosocket_tui.tui.views.clients_panel.ClientsPanel`.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ContentSwitcher, Input

from gosocket_tui.tui.views.base import View
from gosocket_tui.tui.views.clients_panel import ClientsPanel
from gosocket_tui.tui.views.suppliers_panel import SuppliersPanel
from gosocket_tui.tui.widgets.tab_strip import TabStrip


class NetworkView(View):
    """Suppliers and clients of the acting user's company."""

    def compose(self) -> ComposeResult:
        yield TabStrip(
            [("suppliers", "Suppliers"), ("clients", "Clients")],
            active="suppliers",
            id="network-tabs",
        )
        with ContentSwitcher(id="network-content", initial="suppliers"):
            with Vertical(id="suppliers", classes="network-pane"):
                yield SuppliersPanel(self.ctx, self.session, id="suppliers-panel")
            # Built when first shown: most visits are for the suppliers.
            yield Vertical(id="clients", classes="network-pane")

    @property
    def suppliers(self) -> SuppliersPanel:
        return self.query_one("#suppliers-panel", SuppliersPanel)

    @property
    def clients(self) -> ClientsPanel | None:
        """The Clients tab's panel (None until the tab was first shown)."""
        found = self.query("#clients-panel").results(ClientsPanel)
        return next(found, None)

    @property
    def active_tab(self) -> str:
        return self.query_one("#network-tabs", TabStrip).active

    @on(TabStrip.Changed, "#network-tabs")
    async def _tab_changed(self, event: TabStrip.Changed) -> None:
        event.stop()
        self.query_one("#network-content", ContentSwitcher).current = event.tab
        if event.tab == "clients" and self.clients is None:
            await self.query_one("#clients", Vertical).mount(
                ClientsPanel(self.ctx, id="clients-panel")
            )

    def show_tab(self, tab: str) -> None:
        """Show the ``suppliers`` or ``clients`` tab."""
        self.query_one("#network-tabs", TabStrip).active = tab

    def focus_content(self) -> bool:
        """Move the focus into the view: the active tab's Tax ID filter."""
        target = "#supplier-tax-id" if self.active_tab == "suppliers" else "#client-tax-id"
        found = list(self.query(target).results(Input))
        if found:
            found[0].focus()
        else:
            self.query_one("#network-tabs", TabStrip).focus()
        return True

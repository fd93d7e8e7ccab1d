"""The shell's content views: Network (Suppliers, Clients), Mailbox, Activity."""

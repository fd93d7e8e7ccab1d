"""Full screens: login, the app shell after login, supplier activation."""

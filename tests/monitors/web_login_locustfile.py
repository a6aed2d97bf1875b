"""An extra locustfile for tests: turns on a working ``--web-login`` (Locust leaves the setup to the locustfile).

    locust -f locustfile.py,tests/monitors/web_login_locustfile.py --web-login ...

Nobody can log in: every protected route must send the browser to the login page.
"""

from locust import events


@events.init.add_listener
def require_login(environment, web_ui=None, **_kwargs):
    if web_ui is not None and web_ui.web_login:
        web_ui.app.secret_key = "ctxload-tests-only"
        web_ui.login_manager.user_loader(lambda user_id: None)

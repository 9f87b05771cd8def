"""State tests' tabs: signed in by the tab's own login step, not by setting its fields."""

from __future__ import annotations

from nexus_app.services import auth
from nexus_app.state.auth import AuthState


def sign_in(state: AuthState, token: str) -> None:
    """What a real login leaves in the tab (`AuthState._start_session`): the session's
    digest, a fresh login nonce and the user, on a tree reset to its defaults."""
    state._start_session(auth.hash_token(token), auth.current_user(token))

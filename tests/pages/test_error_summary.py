"""The error summary names the field of each message and links to it (A02, WCAG 3.3.1)."""
from __future__ import annotations

import re


def test_summary_names_each_field_and_links_to_it(client, post_form) -> None:
    response = post_form("/account/signup", {"email": "", "display_name": "", "password": ""})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    summary = html[html.index('id="error-summary"'):html.index("</div>", html.index('id="error-summary"'))]
    links = re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary)
    targets = {target for target, _ in links}
    assert {"email", "display_name", "password"} <= targets
    for target, text in links:
        assert f'id="{target}"' in html  # each link lands on a real control
        assert ":" in text  # "Email: This field is required." rather than the bare message

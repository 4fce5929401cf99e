"""The render form explains its Seed field, and each help text is tied to its field for
screen readers."""

import re


def test_the_seed_says_what_it_does(alice, login):
    page = login(alice).get("/studio/render/").content.decode()

    seed = re.search(r'<input type="number" name="seed"[^>]*>', page)
    assert seed, "no seed field"
    assert 'aria-describedby="id_seed_helptext"' in seed.group(0)
    help_text = re.search(r'<div class="help" id="id_seed_helptext">([^<]*)</div>', page)
    assert help_text
    assert "the same seed with the same avatar, speech and options gives the same video" in (
        help_text.group(1)
    )
    assert "where the provider supports it" in help_text.group(1)

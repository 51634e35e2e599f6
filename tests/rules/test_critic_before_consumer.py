from archon_testing import codes, findings

M = 'model m = "openai/gpt-4o"\nlayer generator { model = m; samples = 4 }\n'


def test_critic_at_the_end():
    assert codes(M + "layer critic { model = m }", "A004") == [("A004", 3)]


def test_critic_overwritten_by_another_critic():
    found = findings(
        M + "layer critic { model = m }\nlayer critic { model = m }\nlayer fuser { model = m }", "A004"
    )
    assert [(f["line"], "replaced" in f["message"]) for f in found] == [(3, True)]


def test_verifier_between_critic_and_fuser_keeps_critiques():
    assert (
        codes(
            M + "layer critic { model = m }\nlayer verifier { model = m }\nlayer fuser { model = m }", "A004"
        )
        == []
    )


def test_critic_then_ranker_passes():
    assert codes(M + "layer critic { model = m }\nlayer ranker { model = m; top_k = 1 }", "A004") == []

from archon_testing import codes

M = 'model m = "openai/gpt-4o"\nparam n: int = 3 in 1..10\nlayer generator { model = m; samples = n }\nlayer fuser { model = m }\n'


def test_constraint_nothing_satisfies():
    assert codes(M + "constraint n > 10", "S009") == [("S009", 5)]


def test_constraints_jointly_empty():
    assert codes(M + "constraint n > 5\nconstraint n < 3", "S009") == [("S009", 6)]


def test_budget_nothing_meets():
    assert codes(M + "budget calls <= 1", "S009") == [("S009", 5)]


def test_satisfiable_space_passes():
    assert codes(M + "constraint n > 5\nbudget calls <= 100", "S009") == []

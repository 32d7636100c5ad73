import pytest

from im4talkin.errors import TopicError
from im4talkin.tutor.topics import available, load_topic, parse_topic


def test_every_shipped_topic_is_complete():
    names = available()
    assert {"travel", "restaurant", "job_interview"} <= set(names) and len(names) >= 5
    for name in names:
        t = load_topic(name)
        assert len(t.reading) >= 30 and t.openers and len(t.questions) >= 3
        assert all(q.endswith("?") for q in t.questions)
        assert all(o.rstrip().endswith("?") for o in t.openers)


def test_topic_names_are_forgiving():
    assert load_topic("Job Interview").name == "job_interview"


def test_an_unknown_topic_lists_the_valid_ones():
    with pytest.raises(TopicError, match="unknown topic 'mars'.*restaurant.*travel"):
        load_topic("mars")


def test_a_malformed_file_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\ntitle = "Bad"\npersona = "You are X."\nscenario = "oops\n')
    with pytest.raises(TopicError, match=r"bad.toml is malformed: .*line 4"):
        parse_topic(bad)


def test_a_missing_key_names_the_key(tmp_path):
    src = (load_topic("travel"), tmp_path / "t.toml")
    text = 'name = "t"\ntitle = "T"\npersona = "P"\nscenario = "S"\ngoals = ["g"]\n'
    text += 'vocabulary = ["v"]\nopeners = ["Hi?"]\nquestions = "not a list"\n'
    src[1].write_text(text)
    with pytest.raises(TopicError, match=r"t.toml:8: 'questions' must be a list"):
        parse_topic(src[1])

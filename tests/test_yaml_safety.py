"""A YAML file means what it says, and a hostile one fails fast with a clear message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import supplychain.io.load as load_mod
from supplychain import ModelError, load_model
from supplychain.io.safe_yaml import YamlProblem, read_yaml


def test_yaml_11_words_and_digits_stay_text():
    data, _ = read_yaml("ids: [NO, no, on, off, yes, y, n, 012, 0o12, 0x1F, 1e3, 1_000, .inf, .nan, 12:30]\n")
    # PyYAML's YAML 1.1 would give False, False, True, False, True, 'y', 'n', 10, …, 3600+1800+30 …
    assert data["ids"] == ["NO", "no", "on", "off", "yes", "y", "n", "012", "0o12", "0x1F", "1e3", "1_000",
                           ".inf", ".nan", "12:30"]


def test_only_null_and_true_false_are_typed():
    data, _ = read_yaml("a: ~\nb: null\nc:\nd: true\ne: False\nf: '~'\ng: 'true'\n")
    assert data == {"a": None, "b": None, "c": None, "d": True, "e": False, "f": "~", "g": "true"}


def test_keys_are_text_exactly_as_written():
    data, _ = read_yaml("on: 1\n012: 2\nyes: 3\nNO: 4\n")
    assert list(data) == ["on", "012", "yes", "NO"]


def test_norway_ids_and_numbers_load_as_written(write):
    path = write("m.yaml", """\
        home: NO
        suppliers:
          no: {country: NO}
          on: {country: TR}
          "1e3": {country: NO, owner: NO}
        parts:
          yes:
            stock: 012
            capacity: 1e3
            bom: {012: 2}
            sources: [{supplier: no}, {supplier: on}, {supplier: 1e3}]
          012:
            sources: [{supplier: no}]
        demand:
          yes: {rate: 1}
        """)
    model = load_model(path)
    assert model.home == "NO"
    assert list(model.suppliers) == ["no", "on", "1e3"]
    assert model.suppliers["no"].country == "NO"
    assert model.suppliers["1e3"].owner == "NO"
    assert list(model.parts) == ["yes", "012"]
    assert list(model.parts["yes"].bom) == ["012"]
    assert [s.supplier for s in model.parts["yes"].sources] == ["no", "on", "1e3"]
    # numbers are read where the schema asks for one, in decimal: 012 is twelve, not octal ten
    assert model.parts["yes"].stock == 12.0
    assert model.parts["yes"].capacity == 1000.0
    assert list(model.demand) == ["yes"]


def test_alias_bomb_is_refused(write):
    # billion laughs: 10 levels of 9 aliases each would expand to 9**10 ≈ 3.5e9 strings
    # from a file of about 500 bytes
    levels = "abcdefghij"
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, cur in zip(levels, levels[1:]):
        lines.append(f"{cur}: &{cur} [" + ", ".join(f"*{prev}" for _ in range(9)) + "]")
    text = "\n".join(lines) + "\n"
    assert 400 < len(text.encode()) < 600
    path = write("bomb.yaml", text)
    with pytest.raises(ModelError, match=re.escape("line 2: aliases (*a) are not allowed; write the value out in full")):
        load_model(path)


def test_single_alias_is_refused_too():
    with pytest.raises(YamlProblem, match="aliases"):
        read_yaml("a: &x TR\nb: *x\n")


@pytest.mark.parametrize("text, tag", [
    ("home: !!python/object:os.system TR\n", "tag:yaml.org,2002:python/object:os.system"),
    ("home: !!python/object/apply:os.system [echo hi]\n", "tag:yaml.org,2002:python/object/apply:os.system"),
    ("home: !custom TR\n", "!custom"),
    ("home: !!int 5\n", "tag:yaml.org,2002:int"),
])
def test_tags_are_refused(write, text, tag):
    path = write("m.yaml", text)
    with pytest.raises(ModelError, match=re.escape(f"line 1: tag {tag!r} is not allowed; remove it")):
        load_model(path)


def test_explicit_str_tag_is_plain_text():
    data, _ = read_yaml("home: !!str NO\n")
    assert data == {"home": "NO"}


def test_duplicate_keys_name_both_lines(write):
    path = write("m.yaml", """\
        home: TR
        suppliers:
          plant: {country: TR}
        parts:
          gear: {sources: [{supplier: plant}]}
          widget: {sources: [{supplier: plant}]}
          gear: {stock: 5, sources: [{supplier: plant}]}
        demand: {widget: {rate: 1}}
        """)
    with pytest.raises(ModelError, match=re.escape("line 7: key 'gear' appears twice (first on line 5)")):
        load_model(path)


def test_merge_keys_are_refused(write):
    path = write("m.yaml", """\
        home: TR
        suppliers:
          plant:
            <<: {country: TR}
        """)
    with pytest.raises(ModelError, match=re.escape("line 4: merge keys (<<) are not allowed")):
        load_model(path)


def test_non_text_keys_are_refused():
    with pytest.raises(YamlProblem, match="keys must be plain text"):
        read_yaml("? [a, b]\n: 1\n")


def test_nesting_depth_limit(write):
    # 100 nested flow lists, deeper than the 64-level limit
    path = write("deep.yaml", "home: " + "[" * 100 + "]" * 100 + "\n")
    with pytest.raises(ModelError, match="nesting deeper than 64 levels"):
        load_model(path)


def test_nesting_within_limit_is_fine():
    data, _ = read_yaml("a: " + "[" * 10 + "]" * 10 + "\n")
    depth, node = 0, data["a"]
    while node is not None and isinstance(node, list):
        depth += 1
        node = node[0] if node else None
    assert depth == 10


def test_file_too_large(write, monkeypatch):
    monkeypatch.setattr(load_mod, "MAX_TEXT_BYTES", 10)
    path = write("m.yaml", "home: TR\nsuppliers: {}\n")  # 23 bytes
    with pytest.raises(ModelError, match=re.escape("file is 23 bytes, over the 10-byte limit for yaml; write large models as JSON")):
        load_model(path)


def test_not_utf8(write):
    path = write("m.yaml", "name: Türkiye\n".encode("latin-1"))  # ü is byte 0xfc at offset 7
    with pytest.raises(ModelError, match=re.escape("not UTF-8 text (byte 7)")):
        load_model(path)


def test_unknown_extension(write):
    path = write("m.txt", "home: TR\n")
    with pytest.raises(ModelError, match=re.escape("unknown file type '.txt'; use .yaml, .yml, .toml or .json")):
        load_model(path)


def test_missing_file(tmp_path):
    path = tmp_path / "absent.yaml"
    with pytest.raises(ModelError, match="file not found") as info:
        load_model(path)
    assert info.value.file == str(path)


def test_empty_file(write):
    with pytest.raises(ModelError, match="a model file must be a mapping"):
        load_model(write("m.yaml", ""))


def test_syntax_error_names_the_line(write):
    path = write("m.yaml", "home: TR\nsuppliers: {plant: [\n")
    with pytest.raises(ModelError, match=r"line \d+: not valid YAML"):
        load_model(path)


def test_several_documents_are_refused(write):
    with pytest.raises(ModelError, match="not valid YAML"):
        load_model(write("m.yaml", "home: TR\n---\nhome: CA\n"))


def test_lines_map_points_at_values():
    _, lines = read_yaml("home: TR\nparts:\n  gear:\n    stock: 5\n")
    assert lines[("home",)] == 1
    assert lines[("parts", "gear")] == 3
    assert lines[("parts", "gear", "stock")] == 4


def test_libyaml_and_python_parsers_give_the_same_data_and_lines(monkeypatch):
    # the data is built from parser events; libyaml's and PyYAML's Python parser must
    # agree on every library file, values and lines alike
    import yaml

    import supplychain.io.safe_yaml as safe_yaml

    if getattr(yaml, "CSafeLoader", None) is None:
        pytest.skip("PyYAML without libyaml")
    files = sorted((Path(__file__).parent.parent / "scenarios").rglob("*.yaml"))
    assert len(files) > 10
    for f in files:
        text = f.read_text(encoding="utf-8")
        fast = safe_yaml.read_yaml(text)
        monkeypatch.setattr(safe_yaml, "_EventLoader", yaml.SafeLoader)
        slow = safe_yaml.read_yaml(text)
        monkeypatch.setattr(safe_yaml, "_EventLoader", yaml.CSafeLoader)
        assert fast == slow, f

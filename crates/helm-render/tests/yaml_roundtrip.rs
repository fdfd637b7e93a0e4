//! `toYaml` output must read back as the same values (quoting, block scalars, folding).

use helm_render::codec::{parse_yaml, to_yaml};
use helm_render::value::{Map, Value};
use proptest::prelude::*;

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        (-1.0e7f64..1.0e7).prop_map(|f| Value::Float((f * 100.0).round() / 100.0)),
        (-100_000i64..100_000).prop_map(|n| Value::Float(n as f64)),
        "[ -~]{0,12}".prop_map(Value::from),
        prop_oneof![
            Just("yes"),
            Just("on"),
            Just("Off"),
            Just("null"),
            Just("~"),
            Just("123"),
            Just("1e3"),
            Just("0x1F"),
            Just("1:20"),
            Just("- a"),
            Just("a: b"),
            Just("#c"),
            Just("a #c"),
            Just(" lead"),
            Just("trail "),
            Just("two\nlines"),
            Just("end\n"),
            Just("\nstart"),
            Just("tab\there"),
            Just("it's"),
            Just("\"q\""),
            Just("<<"),
            Just("---"),
            Just("é ü"),
            Just("a\n\n b\n"),
        ]
        .prop_map(Value::str),
        "([a-z]{1,8} ){10,20}".prop_map(Value::from),
    ]
}

fn tree() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::list),
            proptest::collection::btree_map("[a-zA-Z0-9 _.:-]{0,10}", inner, 0..5)
                .prop_map(|m| Value::map(m.into_iter().collect::<Map>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn to_yaml_output_reads_back_as_the_same_value(v in tree()) {
        let text = to_yaml(&v).map_err(TestCaseError::fail)?;
        let back = parse_yaml(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        // An empty document reads as nil, and so does `null`.
        let expected = v.to_json();
        prop_assert_eq!(back.to_json(), expected, "yaml was:\n{}", text);
    }
}

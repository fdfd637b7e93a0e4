//! Sprig's integer and float arithmetic.

use std::collections::HashMap;

use super::convert::{to_f64, to_i64};
use super::{Func, want};
use crate::value::Value;

fn int(n: i64) -> Result<Value, String> {
    Ok(Value::Int(n))
}

/// Decimal places of the shortest decimal form, as shopspring/decimal would see the input.
fn places(f: f64) -> i32 {
    let s = format!("{f}");
    s.split_once('.').map_or(0, |(_, frac)| frac.len() as i32)
}

/// Rounds an f64 result to `p` decimal places, emulating exact decimal arithmetic.
fn decimal_round(f: f64, p: i32) -> f64 {
    if !(0..=17).contains(&p) || !f.is_finite() {
        return f;
    }
    format!("{:.*}", p as usize, f).parse().unwrap_or(f)
}

fn fold_f(
    a: &[Value],
    init: Option<f64>,
    op: fn(f64, f64) -> f64,
    scale: fn(i32, i32) -> i32,
) -> Result<Value, String> {
    let mut it = a.iter();
    let (mut acc, mut p) = match init {
        Some(i) => (i, 0),
        None => match it.next() {
            Some(v) => {
                let f = to_f64(v);
                (f, places(f))
            }
            None => return Ok(Value::Float(0.0)),
        },
    };
    for v in it {
        let f = to_f64(v);
        acc = op(acc, f);
        p = scale(p, places(f));
    }
    Ok(Value::Float(decimal_round(acc, p)))
}

fn round(a: &[Value]) -> Result<Value, String> {
    if a.len() < 2 || a.len() > 3 {
        return Err(format!("wrong number of args: want 2 or 3 got {}", a.len()));
    }
    let val = to_f64(&a[0]);
    let p = to_i64(&a[1]);
    let r_opt = a.get(2).map(to_f64).unwrap_or(0.5);
    let pow = 10f64.powi(p as i32);
    let digit = pow * val;
    let (int_part, div) = (digit.trunc(), digit.fract());
    let rounded = if div.abs() >= r_opt {
        int_part + div.signum()
    } else {
        int_part
    };
    Ok(Value::Float(rounded / pow))
}

pub(super) fn register(m: &mut HashMap<&'static str, Func>) {
    m.insert("add", |a| {
        int(a.iter().map(to_i64).fold(0i64, i64::wrapping_add))
    });
    m.insert("add1", |a| {
        want(a, 1)?;
        int(to_i64(&a[0]).wrapping_add(1))
    });
    m.insert("sub", |a| {
        want(a, 2)?;
        int(to_i64(&a[0]).wrapping_sub(to_i64(&a[1])))
    });
    m.insert("mul", |a| {
        let Some((f, r)) = a.split_first() else {
            return Err("wrong number of args: want at least 1 got 0".into());
        };
        int(r.iter().map(to_i64).fold(to_i64(f), i64::wrapping_mul))
    });
    m.insert("div", |a| {
        want(a, 2)?;
        let d = to_i64(&a[1]);
        if d == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        int(to_i64(&a[0]).wrapping_div(d))
    });
    m.insert("mod", |a| {
        want(a, 2)?;
        let d = to_i64(&a[1]);
        if d == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        int(to_i64(&a[0]).wrapping_rem(d))
    });
    m.insert("max", |a| {
        let Some((f, r)) = a.split_first() else {
            return Err("wrong number of args: want at least 1 got 0".into());
        };
        int(r.iter().map(to_i64).fold(to_i64(f), i64::max))
    });
    m.insert("min", |a| {
        let Some((f, r)) = a.split_first() else {
            return Err("wrong number of args: want at least 1 got 0".into());
        };
        int(r.iter().map(to_i64).fold(to_i64(f), i64::min))
    });
    m.insert("biggest", |a| {
        let Some((f, r)) = a.split_first() else {
            return Err("wrong number of args: want at least 1 got 0".into());
        };
        int(r.iter().map(to_i64).fold(to_i64(f), i64::max))
    });
    m.insert("maxf", |a| {
        Ok(Value::Float(
            a.iter().map(to_f64).fold(f64::NEG_INFINITY, f64::max),
        ))
    });
    m.insert("minf", |a| {
        Ok(Value::Float(
            a.iter().map(to_f64).fold(f64::INFINITY, f64::min),
        ))
    });
    m.insert("addf", |a| fold_f(a, Some(0.0), |x, y| x + y, i32::max));
    m.insert("add1f", |a| {
        want(a, 1)?;
        let f = to_f64(&a[0]);
        Ok(Value::Float(decimal_round(f + 1.0, places(f))))
    });
    m.insert("subf", |a| fold_f(a, None, |x, y| x - y, i32::max));
    m.insert("mulf", |a| fold_f(a, None, |x, y| x * y, |p, q| p + q));
    m.insert("divf", |a| fold_f(a, None, |x, y| x / y, |_, _| 16));
    m.insert("floor", |a| {
        want(a, 1)?;
        Ok(Value::Float(to_f64(&a[0]).floor()))
    });
    m.insert("ceil", |a| {
        want(a, 1)?;
        Ok(Value::Float(to_f64(&a[0]).ceil()))
    });
    m.insert("round", round);
    m.insert("randInt", |a| {
        want(a, 2)?;
        let (lo, hi) = (to_i64(&a[0]), to_i64(&a[1]));
        if hi <= lo {
            return Err("invalid argument to Intn".into());
        }
        let r = (uuid::Uuid::new_v4().as_u128() % (hi - lo) as u128) as i64;
        int(lo + r)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_addition_behaves_like_decimal_arithmetic() {
        let mut m = HashMap::new();
        register(&mut m);
        let addf = m.get("addf").copied();
        let r = addf.map(|f| f(&[Value::Float(0.1), Value::Float(0.2)]));
        assert!(matches!(r, Some(Ok(Value::Float(x))) if x == 0.3));
    }

    #[test]
    fn round_uses_half_away_from_zero_by_default() {
        assert!(
            matches!(round(&[Value::Float(2.345), Value::Int(2)]), Ok(Value::Float(x)) if (x - 2.35).abs() < 1e-9)
        );
    }
}

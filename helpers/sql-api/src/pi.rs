//! Digits of π by Machin's formula, π = 16·atan(1/5) − 4·atan(1/239), in fixed point with
//! base-10⁹ limbs: O(n²) like the original's spigot, but some hundred times faster, and bounded
//! by the caller (the API caps `digits`).

const BASE: u64 = 1_000_000_000;
const GUARD_LIMBS: usize = 3;

/// π with `digits` digits in all (`3`, `3.1`, `3.14`, …), as the original's `/api/pi` printed
/// it. `digits` = 0 gives `3`.
pub fn pi_string(digits: usize) -> String {
    let decimals = digits.saturating_sub(1);
    let limbs = decimals.div_ceil(9) + 1 + GUARD_LIMBS;
    let mut pi = arctan_inv(5, limbs);
    mul_small(&mut pi, 16);
    let mut b = arctan_inv(239, limbs);
    mul_small(&mut b, 4);
    sub_assign(&mut pi, &b);

    let mut out = String::with_capacity(digits + 2);
    out.push_str(&pi[0].to_string());
    if decimals > 0 {
        out.push('.');
        let mut frac = String::with_capacity(limbs * 9);
        for limb in &pi[1..] {
            frac.push_str(&format!("{limb:09}"));
        }
        out.push_str(&frac[..decimals]);
    }
    out
}

/// atan(1/x) = Σ (−1)ᵏ / ((2k+1)·x²ᵏ⁺¹), `limbs` limbs (limb 0 is the integer part).
fn arctan_inv(x: u64, limbs: usize) -> Vec<u64> {
    let mut sum = vec![0u64; limbs];
    let mut power = vec![0u64; limbs]; // 1 / x^(2k+1)
    power[0] = 1;
    div_small(&mut power, x, 0);
    sum.copy_from_slice(&power);
    let x2 = x * x;
    let mut term = vec![0u64; limbs];
    let mut k: u64 = 1;
    // Leading limbs that are zero in `power` (and so in every later term).
    let mut lead = 0;
    loop {
        div_small(&mut power, x2, lead);
        while lead < limbs && power[lead] == 0 {
            lead += 1;
        }
        if lead == limbs {
            break;
        }
        term[lead..].copy_from_slice(&power[lead..]);
        div_small(&mut term, 2 * k + 1, lead);
        if k % 2 == 1 {
            sub_assign_from(&mut sum, &term, lead);
        } else {
            add_assign_from(&mut sum, &term, lead);
        }
        k += 1;
    }
    sum
}

/// a /= d, limbs before `from` known to be zero.
fn div_small(a: &mut [u64], d: u64, from: usize) {
    let mut rem = 0u64;
    for limb in &mut a[from..] {
        let cur = rem * BASE + *limb;
        *limb = cur / d;
        rem = cur % d;
    }
}

fn mul_small(a: &mut [u64], m: u64) {
    let mut carry = 0u64;
    for limb in a.iter_mut().rev() {
        let cur = *limb * m + carry;
        *limb = cur % BASE;
        carry = cur / BASE;
    }
    a[0] += carry * BASE;
}

fn add_assign_from(a: &mut [u64], b: &[u64], from: usize) {
    let mut carry = 0u64;
    for i in (from..a.len()).rev() {
        let cur = a[i] + b[i] + carry;
        a[i] = cur % BASE;
        carry = cur / BASE;
    }
    let mut i = from;
    while carry > 0 && i > 0 {
        i -= 1;
        let cur = a[i] + carry;
        a[i] = cur % BASE;
        carry = cur / BASE;
    }
}

fn sub_assign_from(a: &mut [u64], b: &[u64], from: usize) {
    let mut borrow = 0u64;
    for i in (from..a.len()).rev() {
        let sub = b[i] + borrow;
        if a[i] >= sub {
            a[i] -= sub;
            borrow = 0;
        } else {
            a[i] = a[i] + BASE - sub;
            borrow = 1;
        }
    }
    let mut i = from;
    while borrow > 0 && i > 0 {
        i -= 1;
        if a[i] >= 1 {
            a[i] -= 1;
            borrow = 0;
        } else {
            a[i] = BASE - 1;
        }
    }
}

fn sub_assign(a: &mut [u64], b: &[u64]) {
    sub_assign_from(a, b, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    const PI_100: &str = "3.1415926535897932384626433832795028841971693993751058209749445923078164062862089986280348253421170679";

    /// Rabinowitz–Wagon spigot: an independent algorithm to compare with.
    fn spigot(decimals: usize) -> String {
        let n = decimals + 2;
        let len = n * 10 / 3 + 1;
        let mut a = vec![2u64; len];
        let mut digits: Vec<u64> = Vec::with_capacity(n);
        let mut nines = 0usize;
        let mut predigit = 0u64;
        for _ in 0..n {
            let mut carry = 0u64;
            for i in (0..len).rev() {
                let x = 10 * a[i] + carry * (i as u64 + 1);
                let den = 2 * i as u64 + 1;
                a[i] = x % den;
                carry = x / den;
            }
            a[0] = carry % 10;
            let q = carry / 10;
            match q {
                9 => nines += 1,
                10 => {
                    digits.push(predigit + 1);
                    digits.extend(std::iter::repeat_n(0, nines));
                    predigit = 0;
                    nines = 0;
                }
                _ => {
                    digits.push(predigit);
                    predigit = q;
                    digits.extend(std::iter::repeat_n(9, nines));
                    nines = 0;
                }
            }
        }
        digits.push(predigit);
        // digits[0] is a leading 0, digits[1] the 3.
        let s: String = digits[2..].iter().map(|d| d.to_string()).collect();
        format!("3.{}", &s[..decimals])
    }

    #[test]
    fn first_hundred_decimals() {
        assert_eq!(pi_string(101), PI_100);
        assert_eq!(pi_string(1), "3");
        assert_eq!(pi_string(0), "3");
        assert_eq!(pi_string(2), "3.1");
        assert_eq!(pi_string(10), "3.141592653");
    }

    #[test]
    fn feynman_point() {
        // Six nines from the 762nd decimal.
        let p = pi_string(800);
        assert_eq!(&p[2 + 761..2 + 767], "999999");
    }

    #[test]
    fn agrees_with_an_independent_spigot() {
        let ours = pi_string(1501);
        assert_eq!(ours, spigot(1500));
    }

    #[test]
    fn every_prefix_length_is_a_prefix() {
        let long = pi_string(400);
        for n in 1..400 {
            let short = pi_string(n);
            assert!(long.starts_with(&short), "{n}");
            assert_eq!(short.chars().filter(char::is_ascii_digit).count(), n);
        }
    }
}

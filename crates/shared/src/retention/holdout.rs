//! The hold-out control group: per flow, a fixed share of customers gets no message, so the
//! repeat orders of messaged customers can be compared with those of similar customers who were
//! not messaged (lift), not only attributed.
//!
//! Membership is a hash of the customer and the flow: stable (a customer is in or out of a
//! flow's group for good, whatever the order), independent between flows, and needs no table.

use sha2::{Digest, Sha256};

use crate::ids::CustomerId;

/// Whether `customer` is in `flow`'s control group when `percent` of customers are held out.
pub fn in_control_group(customer: CustomerId, flow: &str, percent: i32) -> bool {
    if percent <= 0 {
        return false;
    }
    let digest = Sha256::new().chain_update(customer.0.as_bytes()).chain_update(flow.as_bytes()).finalize();
    let bucket = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 100;
    bucket < percent.unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_group_is_stable_and_about_the_right_size() {
        let customers: Vec<CustomerId> =
            (0..10_000).map(|i| CustomerId(uuid::Uuid::from_u128(i * 7919))).collect();
        let held = customers.iter().filter(|c| in_control_group(**c, "checkin", 20)).count();
        assert!((1_800..=2_200).contains(&held), "{held} of 10000 at 20%");
        assert!(customers.iter().all(|c| !in_control_group(*c, "checkin", 0)));
        let c = customers[42];
        assert_eq!(in_control_group(c, "review", 30), in_control_group(c, "review", 30));
        // Independent between flows: not the same customers.
        let both = customers
            .iter()
            .filter(|c| in_control_group(**c, "checkin", 20) && in_control_group(**c, "review", 20))
            .count();
        assert!((250..=550).contains(&both), "{both}: about 4% expected");
    }
}

//! The retention flow's domain logic: applying store events to customers and orders, and
//! scheduling the T+3 / T+14 messages. The jobs that call it live in `revive-workers`.

pub mod apply;
pub mod holdout;
pub mod send;
pub mod timing;

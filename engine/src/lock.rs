//! `torc.lock`.

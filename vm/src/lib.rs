//! The Newt virtual machine.

//! End-to-end tests: one binary, the real server in-process, real sockets.

// A test binary exports nothing; `pub` here only means "shared between the test modules".
#![allow(unreachable_pub)]

mod abuse;
mod accessibility;
mod axe;
mod binary;
mod bridge;
mod chromium;
mod classroom;
mod cluster;
mod cluster_failures;
mod cluster_start;
mod code;
mod console;
mod helpers;
mod history;
mod hostile;
mod lighthouse;
mod load;
mod multiline;
mod nats;
mod npm;
mod one_path;
mod page;
mod page_values;
mod projector;
mod qr;
mod reading;
mod restart;
mod rooms;
mod rooms_durable;
mod rooms_limits;
mod rooms_page;
mod seed;
mod shutdown;
mod tcp;
mod teacher;
mod terminal;
mod web;
mod wire;
mod wire_page;

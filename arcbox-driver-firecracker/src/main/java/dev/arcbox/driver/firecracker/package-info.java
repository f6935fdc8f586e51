/**
 * The Firecracker driver: one {@code firecracker} process per VM, run directly or through the
 * jailer, configured over its REST API (Jetty over the API socket), with the guest agent on
 * hybrid vsock. See {@code docs/firecracker-driver.md}.
 */
package dev.arcbox.driver.firecracker;

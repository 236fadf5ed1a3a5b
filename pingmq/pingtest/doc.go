// Package pingtest gives tests of ICMP monitoring a network of their own: a network namespace
// created for the test, in which addresses answer or stay silent as the test decides. Nothing
// sent inside it leaves it. Namespaces are Linux's; elsewhere NewNetns skips the test.
package pingtest

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A program that exits 0 at once and opens nothing: static, no C library,
 * no dynamic loader. For live tests that count every open of a run (an exec
 * of it adds a proc.exec and no file.open).
 */
void _start(void)
{
	__asm__ volatile("mov $60, %eax\n\txor %edi, %edi\n\tsyscall");
	__builtin_unreachable();
}

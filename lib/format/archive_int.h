/*
 * archive_int.h: the layout of struct fl_archive, shared by archive.c (the
 * container, the tar writer and reader) and safetensors.c (the tensor
 * encoding).  Private to lib/; the public interface is in fl.h.
 */
#ifndef FL_ARCHIVE_INT_H
#define FL_ARCHIVE_INT_H

#include "format/format.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fl archives are little-endian; this host is not"
#endif

/* One entry of the tensor table: a view into the archive's data buffer. */
struct fl_tent {
	char		*name;
	enum fl_dtype	 dtype;
	size_t		 ndim;
	size_t		 shape[FL_MAX_DIMS];
	size_t		 off;		/* offset into data */
	size_t		 nbytes;
};

/* An extra member (a signature): name "sig/...", at most 1 MiB. */
#define FL_MAX_MEMBERS	64
#define FL_MAX_MEMBER	((size_t)1 << 20)
struct fl_member {
	char		*name;
	unsigned char	*data;
	size_t		 len;
};

struct fl_archive {
	json_t		*manifest;
	enum fl_kind	 kind;
	struct fl_tent	*t;		/* ntensors entries, in data order */
	size_t		 nt, tcap;
	unsigned char	*data;		/* tensor bytes, back to back */
	size_t		 len, cap;
	char		 id[80];	/* "" until read or written */
	struct fl_member mem[FL_MAX_MEMBERS];	/* sorted by name */
	size_t		 nmem;
	int		 streamed;	/* data went to a sink, not data */
};

/* Make room for need bytes of data in total, keeping what is there. */
int	fl_archive_reserve(struct fl_archive *a, size_t need,
	    struct fl_err *err);
/* Drop all tensors (keeping the buffers' capacity). */
void	fl_archive_clear_tensors(struct fl_archive *a);

/* The canonical safetensors header of a's tensors: the JSON text padded
 * with spaces so that 8 + *len is a multiple of 8 (malloc'd, not NUL
 * terminated).  Errors: FL_ENOMEM. */
int	fl_st_header(const struct fl_archive *a, char **hdr, size_t *len,
	    struct fl_err *err);
/* Replace a's tensor table with the one described by the JSON header
 * hdr[0..hlen), checked against a data section of datalen bytes (which is
 * already, or will be, in a->data).  Errors: FL_EFORMAT, FL_ENOMEM. */
int	fl_st_parse_header(struct fl_archive *a, const char *hdr, size_t hlen,
	    size_t datalen, struct fl_err *err);

#endif /* FL_ARCHIVE_INT_H */

# File handles that must outlive the kernel's caches: name_to_handle_at, then close everything and drop the
# dentry and inode caches so the kernel forgets the inodes, then open_by_handle_at (needs CAP_DAC_READ_SEARCH).
# Prints one JSON object of observations; run it on memfs and on tmpfs and compare.
# Usage: handles.py MOUNTPOINT; or handles.py encode PATH (prints the handle as TYPE:HEX) and
# handles.py decode MOUNTPOINT TYPE:HEX (drops the caches, opens the handle, prints the content or the errno name).
import ctypes, errno, json, os, sys

libc = ctypes.CDLL(None, use_errno=True)
MAX_HANDLE_SZ = 128
AT_FDCWD = -100


class FileHandle(ctypes.Structure):
    _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int),
                ("f_handle", ctypes.c_ubyte * MAX_HANDLE_SZ)]


def handle(path):
    h = FileHandle()
    h.handle_bytes = MAX_HANDLE_SZ
    mount_id = ctypes.c_int()
    if libc.name_to_handle_at(AT_FDCWD, path.encode(), ctypes.byref(h), ctypes.byref(mount_id), 0) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), path)
    return h


def open_by_handle(mount_fd, h, flags):
    fd = libc.open_by_handle_at(mount_fd, ctypes.byref(h), flags)
    if fd < 0:
        return None, errno.errorcode[ctypes.get_errno()]
    return fd, None


def forget_everything():
    os.sync()
    for _ in range(3):
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("2\n")


if sys.argv[1] == "encode":
    h = handle(sys.argv[2])
    print("%d:%s" % (h.handle_type, bytes(h.f_handle[:h.handle_bytes]).hex()))
    sys.exit(0)
if sys.argv[1] == "decode":
    kind, raw = sys.argv[3].split(":")
    h = FileHandle()
    h.handle_type = int(kind)
    data = bytes.fromhex(raw)
    h.handle_bytes = len(data)
    ctypes.memmove(h.f_handle, data, len(data))
    mount_fd = os.open(sys.argv[2], os.O_RDONLY | os.O_DIRECTORY)
    forget_everything()
    fd, err = open_by_handle(mount_fd, h, os.O_RDONLY)
    print(err if fd is None else "content:" + os.read(fd, 100).decode())
    sys.exit(0)

root = sys.argv[1]


def p(*parts):
    return os.path.join(root, *parts)


out = {}
with open(p("f"), "w") as f:
    f.write("hello handles\n")
os.makedirs(p("d", "sub"))
with open(p("d", "sub", "g"), "w") as f:
    f.write("deep\n")
with open(p("gone"), "w") as f:
    f.write("x")
os.mkdir(p("gonedir"))
os.link(p("f"), p("d", "f-link"))

hf = handle(p("f"))
hlink = handle(p("d", "f-link"))
hg = handle(p("d", "sub", "g"))
hsub = handle(p("d", "sub"))
hgone = handle(p("gone"))
hgonedir = handle(p("gonedir"))
hroot = handle(root)
out["same_handle_through_a_hard_link"] = bytes(hf.f_handle[:hf.handle_bytes]) == bytes(
    hlink.f_handle[:hlink.handle_bytes])
os.unlink(p("gone"))
os.rmdir(p("gonedir"))

mount_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
forget_everything()

fd, err = open_by_handle(mount_fd, hf, os.O_RDONLY)
out["file_error"] = err
if fd is not None:
    out["file_content"] = os.read(fd, 100).decode()
    out["file_ino_matches"] = os.fstat(fd).st_ino == os.stat(p("f")).st_ino
    os.close(fd)

forget_everything()
fd, err = open_by_handle(mount_fd, hg, os.O_RDWR)
out["deep_file_error"] = err
if fd is not None:
    os.write(fd, b"DEEP")
    os.close(fd)
    with open(p("d", "sub", "g")) as f:
        out["deep_file_after_write"] = f.read()

forget_everything()
fd, err = open_by_handle(mount_fd, hsub, os.O_RDONLY | os.O_DIRECTORY)
out["dir_error"] = err
if fd is not None:
    out["dir_listing"] = sorted(os.listdir(fd))
    # The kernel reconnects the directory to the tree (its parent, and its name there): the path is known again.
    out["dir_path"] = os.path.relpath(os.readlink("/proc/self/fd/%d" % fd), root)
    up = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
    out["dotdot_is_parent"] = os.fstat(up).st_ino == os.stat(p("d")).st_ino
    out["dotdot_listing"] = sorted(os.listdir(up))
    os.close(up)
    os.close(fd)

fd, err = open_by_handle(mount_fd, hroot, os.O_RDONLY | os.O_DIRECTORY)
out["root_error"] = err
if fd is not None:
    out["root_listing"] = sorted(os.listdir(fd))
    os.close(fd)

forget_everything()
out["deleted_file"] = open_by_handle(mount_fd, hgone, os.O_RDONLY)[1]
out["deleted_dir"] = open_by_handle(mount_fd, hgonedir, os.O_RDONLY | os.O_DIRECTORY)[1]

# A name reused after the unlink must not be reachable through the old handle.
with open(p("gone"), "w") as f:
    f.write("new life")
forget_everything()
out["recreated_name_old_handle"] = open_by_handle(mount_fd, hgone, os.O_RDONLY)[1]

# An unlinked file still open: the handle decodes while the inode lives.
with open(p("open-unlinked"), "w") as f:
    f.write("still here")
hopen = handle(p("open-unlinked"))
keep = os.open(p("open-unlinked"), os.O_RDONLY)
os.unlink(p("open-unlinked"))
forget_everything()
fd, err = open_by_handle(mount_fd, hopen, os.O_RDONLY)
out["unlinked_open_error"] = err
if fd is not None:
    out["unlinked_open_content"] = os.read(fd, 100).decode()
    os.close(fd)
os.close(keep)

os.close(mount_fd)
print(json.dumps(out, sort_keys=True))

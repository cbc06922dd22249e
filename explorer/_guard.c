/* The hash guard's per-state fast path in C (explorer.fingerprint.HashGuard.check_step).
 *
 * step_passes(verified, set_members, state, parent) answers what the pure-Python
 * _step_passes in explorer/fingerprint.py answers, by the same rules in the same order:
 * True when the state passes without learning anything, False when the full check
 * (HashGuard.check) must decide. It never refuses a state itself, so it cannot refuse one
 * the Python guard would pass: where it says False, the Python code decides.
 *
 * Why C: a new state costs a plain BFS about 7-10 us; walking its members in Python costs
 * 1-1.5 us of that (about 60 ns a member), here a few ns a member.
 *
 * `pip install -e .` builds it in place; after editing this file, run it again (an old build
 * stays in place, and tests/test_fingerprint.py compares it with the Python function).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Each *_passes: 1 the member passes (verified, or the parent's own object); 0 it does not;
 * -1 an error is set. A leaf passes if it is verified (PySet_Contains). */
static int
tuple_passes(PyObject *verified, PyObject *part, PyObject *was)
{
    Py_ssize_t n = PyTuple_GET_SIZE(part);
    if (n != PyTuple_GET_SIZE(was))
        return 0;
    for (Py_ssize_t j = 0; j < n; j++) {
        PyObject *member = PyTuple_GET_ITEM(part, j);
        PyObject *old = PyTuple_GET_ITEM(was, j);
        if (member == old)
            continue;
        if (Py_TYPE(member) != Py_TYPE(old))
            return 0;
        int found = PySet_Contains(verified, member);
        if (found != 1)
            return found;
    }
    return 1;
}

static int
frozenset_passes(PyObject *verified, PyObject *set_members, PyObject *part)
{
    int found = PySet_Contains(verified, part);
    if (found != 1)
        return found;
    PyObject *members = PyObject_GetIter(part);
    if (members == NULL)
        return -1;
    PyObject *member;
    while ((member = PyIter_Next(members)) != NULL) {
        found = PySet_Contains(set_members, (PyObject *)Py_TYPE(member));
        Py_DECREF(member);
        if (found != 1) {
            Py_DECREF(members);
            return found;
        }
    }
    Py_DECREF(members);
    return PyErr_Occurred() ? -1 : 1;
}

static PyObject *
step_passes(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "step_passes(verified, set_members, state, parent)");
        return NULL;
    }
    PyObject *verified = args[0], *set_members = args[1], *state = args[2], *parent = args[3];
    if (!PyAnySet_Check(verified) || !PyAnySet_Check(set_members)) {
        PyErr_SetString(PyExc_TypeError, "step_passes: verified and set_members must be sets");
        return NULL;
    }
    if (!PyTuple_CheckExact(state) || !PyTuple_CheckExact(parent)
            || PyTuple_GET_SIZE(state) != PyTuple_GET_SIZE(parent))
        Py_RETURN_FALSE;
    Py_ssize_t n = PyTuple_GET_SIZE(state);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *part = PyTuple_GET_ITEM(state, i);
        PyObject *was = PyTuple_GET_ITEM(parent, i);
        if (part == was)
            continue;
        PyTypeObject *kind = Py_TYPE(part);
        if (kind != Py_TYPE(was))
            Py_RETURN_FALSE;
        int passes;
        if (kind == &PyTuple_Type)
            passes = tuple_passes(verified, part, was);
        else if (kind == &PyFrozenSet_Type)
            passes = frozenset_passes(verified, set_members, part);
        else
            passes = PySet_Contains(verified, part);
        if (passes < 0)
            return NULL;
        if (!passes)
            Py_RETURN_FALSE;
    }
    Py_RETURN_TRUE;
}

static PyMethodDef methods[] = {
    {"step_passes", (PyCFunction)(void (*)(void))step_passes, METH_FASTCALL,
     "step_passes(verified, set_members, state, parent) -> bool: HashGuard.check_step's fast path."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "explorer._guard",
    "The hash guard's per-state fast path in C (see explorer.fingerprint).", -1, methods,
};

PyMODINIT_FUNC
PyInit__guard(void)
{
    return PyModule_Create(&module);
}

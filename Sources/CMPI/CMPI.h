// Open MPI's C interface for Swift. Open MPI defines its predefined handles (MPI_COMM_WORLD, MPI_FLOAT,
// MPI_SUM, MPI_IN_PLACE, ...) as macros that cast addresses of global objects, which Swift cannot
// import; these inline functions hand them over as values.
#ifndef GRADUS_CMPI_H
#define GRADUS_CMPI_H
#include <mpi.h>

static inline MPI_Comm gradus_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Comm gradus_mpi_comm_null(void) { return MPI_COMM_NULL; }
static inline MPI_Datatype gradus_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype gradus_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype gradus_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Datatype gradus_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Op gradus_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op gradus_mpi_max(void) { return MPI_MAX; }
static inline MPI_Op gradus_mpi_min(void) { return MPI_MIN; }
static inline void *gradus_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Errhandler gradus_mpi_errors_return(void) { return MPI_ERRORS_RETURN; }
static inline MPI_Request gradus_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *gradus_mpi_status_ignore(void) { return MPI_STATUS_IGNORE; }
static inline int gradus_mpi_comm_type_shared(void) { return MPI_COMM_TYPE_SHARED; }
static inline MPI_Info gradus_mpi_info_null(void) { return MPI_INFO_NULL; }
static inline int gradus_mpi_thread_serialized(void) { return MPI_THREAD_SERIALIZED; }
static inline int gradus_mpi_any_source(void) { return MPI_ANY_SOURCE; }
static inline int gradus_mpi_any_tag(void) { return MPI_ANY_TAG; }
static inline int gradus_mpi_success(void) { return MPI_SUCCESS; }
static inline int gradus_mpi_max_error_string(void) { return MPI_MAX_ERROR_STRING; }
#endif
